// Throwaway PostgreSQL clusters from Debian's postgresql-15 for the backup drills: the embedded
// PostgreSQL (npm) ships only initdb, pg_ctl and postgres, and pg_dump must be at least the
// server's version, so dump, restore and base backup all use the one Debian version.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const TOOLS = ['initdb', 'pg_ctl', 'postgres', 'pg_dump', 'pg_restore', 'pg_basebackup', 'psql'];

const isRoot = (): boolean => process.getuid?.() === 0;

/** Installs postgresql-15 when it is missing (as root, like `npm run test:ha`), or says how. */
export function ensurePostgres15(): void {
  const missing = TOOLS.filter((t) => !fs.existsSync(path.join(PG_BIN, t)));
  if (!missing.length) return;
  const how = 'apt-get update && apt-get install -y postgresql-15';
  if (!isRoot()) throw new Error(`The backup drill needs PostgreSQL 15's tools (${missing.join(', ')}): sudo ${how}`);
  const r = spawnSync('sh', ['-c', how], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new Error(`installing postgresql-15 failed: run "${how}" and try again`);
}

/** PostgreSQL refuses to run as root: then its programs run as the `postgres` user. */
function asServer(cmd: string, args: string[]): SpawnSyncReturns<string> {
  const [file, argv] = isRoot() ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', cmd, ...args]] : [cmd, args];
  return spawnSync(file, argv, { encoding: 'utf8' });
}

function check(what: string, r: SpawnSyncReturns<string>): void {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** Hands a directory to the server's user (when running as root). */
export function giveToServer(dir: string): void {
  if (!isRoot()) return;
  check('chown', spawnSync('chown', ['-R', 'postgres:postgres', dir], { encoding: 'utf8' }));
}

export interface Cluster {
  dataDir: string;
  port: number;
  /** Superuser URL (trust on 127.0.0.1 only: a throwaway cluster). */
  url(db: string): string;
  query<T extends pg.QueryResultRow>(db: string, text: string, values?: unknown[]): Promise<T[]>;
  /** The one row a statement returns. */
  one<T extends pg.QueryResultRow>(db: string, text: string, values?: unknown[]): Promise<T>;
  stop(): void;
}

/** Starts a cluster on an existing data directory (one initdb made, or a base backup). */
export function startCluster(dataDir: string, port: number): Cluster {
  const sock = path.join(path.dirname(dataDir), `sock-${port}`);
  fs.mkdirSync(sock, { recursive: true });
  giveToServer(sock);
  giveToServer(dataDir);
  fs.chmodSync(dataDir, 0o700);
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${sock}`;
  check(
    'pg_ctl start',
    asServer(path.join(PG_BIN, 'pg_ctl'), ['start', '-w', '-t', '120', '-D', dataDir, '-l', `${dataDir}.log`, '-o', opts]),
  );
  const url = (db: string): string => `postgresql://postgres@127.0.0.1:${port}/${db}`;
  return {
    dataDir,
    port,
    url,
    async query<T extends pg.QueryResultRow>(db: string, text: string, values: unknown[] = []) {
      const c = new pg.Client({ connectionString: url(db) });
      await c.connect();
      try {
        return (await c.query<T>(text, values)).rows;
      } finally {
        await c.end();
      }
    },
    async one<T extends pg.QueryResultRow>(db: string, text: string, values: unknown[] = []) {
      const rows = await this.query<T>(db, text, values);
      if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
      return rows[0]!;
    },
    stop() {
      asServer(path.join(PG_BIN, 'pg_ctl'), ['stop', '-w', '-m', 'fast', '-D', dataDir]);
    },
  };
}

/** initdb into `dataDir` with extra postgresql.conf lines, then start it. */
export function initCluster(dataDir: string, port: number, conf: Record<string, string> = {}): Cluster {
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  giveToServer(path.dirname(dataDir));
  check(
    'initdb',
    asServer(path.join(PG_BIN, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]),
  );
  const lines = Object.entries(conf).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`);
  fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), `\n${lines.join('\n')}\n`);
  return startCluster(dataDir, port);
}

/** Runs a client program of the same PostgreSQL version (pg_dump, pg_restore, pg_basebackup…). */
export function pgTool(tool: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(path.join(PG_BIN, tool), args, { encoding: 'utf8', env: { ...process.env, ...env } });
}

/** PATH with this version's programs first, for the shell scripts. */
export const pgPath = (): string => `${PG_BIN}:${process.env.PATH ?? ''}`;
