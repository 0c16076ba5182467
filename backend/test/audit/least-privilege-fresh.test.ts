import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { APP_ROLE } from '../../src/db/grants.js';
import { migrationsList } from '../../src/db/migrations/index.js';
import { initOrm, migrate, ormOptions } from '../../src/db/orm.js';
import { freePort } from '../global-setup.js';

/** Every table the product keeps append-only; the database must agree (a refusing TRUNCATE trigger). */
const KNOWN_APPEND_ONLY = [
  'audit_checkpoint',
  'audit_log',
  'audit_merkle_node',
  'audit_queue',
  'consent',
  'consent_receipt',
  'disclosure',
  'journal_entry',
];

/**
 * The history that once broke the grants: the migrations in file-name order, where the consent
 * migration's REVOKE runs before the audit migration creates the role (fresh cluster), or before
 * the audit migration's blanket GRANT gives everything back (role already there). Then the
 * ordinary start: `migrate`, which applies the grants.
 */
async function migrateInTheOtherOrder(url: string): Promise<void> {
  const byName = [...migrationsList].sort((a, b) => a.name.localeCompare(b.name));
  const orm = await MikroORM.init({
    ...ormOptions(url, 2),
    logger: () => {},
    extensions: [Migrator],
    migrations: { migrationsList: byName, transactional: true, allOrNothing: true, snapshot: false },
  });
  try {
    await orm.getMigrator().up();
  } finally {
    await orm.close();
  }
  const started = await initOrm(url, 2);
  try {
    await migrate(started);
  } finally {
    await started.close();
  }
}

/** Runs `statement` as the application role in a transaction that is always rolled back. */
async function asApp(client: pg.Client, statement: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL ROLE ${APP_ROLE}`);
    await client.query(statement);
  } finally {
    await client.query('ROLLBACK');
  }
}

const denied = /permission denied|must be owner/;

function assertsLeastPrivilege(url: () => string): void {
  let client: pg.Client;
  /** `columns`: those an UPDATE may name at all (not generated, not an identity ALWAYS). */
  let tables: { name: string; columns: string[] }[];

  beforeAll(async () => {
    client = new pg.Client({ connectionString: url() });
    await client.connect();
    const r = await client.query<{ name: string; columns: string[] }>(`
      SELECT c.relname AS name, array_agg(a.attname::text ORDER BY a.attnum) AS columns
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity <> 'a' AND a.attgenerated = ''
      WHERE n.nspname = 'public' AND c.relkind = 'r'
        AND EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal AND (g.tgtype & 32) <> 0)
      GROUP BY c.relname ORDER BY c.relname`);
    tables = r.rows;
  });
  afterAll(async () => client?.end());

  it('finds every known append-only table by its refusing TRUNCATE trigger', () => {
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(KNOWN_APPEND_ONLY));
  });

  it("the application role holds no UPDATE, DELETE or TRUNCATE on any of them (only the consent's withdrawal columns)", async () => {
    for (const t of tables) {
      const r = await client.query<{ u: boolean; d: boolean; x: boolean; g: boolean; own: boolean }>(
        `SELECT has_table_privilege($1, $2, 'UPDATE') AS u, has_table_privilege($1, $2, 'DELETE') AS d,
                has_table_privilege($1, $2, 'TRUNCATE') AS x, has_table_privilege($1, $2, 'TRIGGER') AS g,
                pg_has_role($1, (SELECT relowner FROM pg_class WHERE oid = $2::regclass), 'USAGE') AS own`,
        [APP_ROLE, t.name],
      );
      expect({ table: t.name, ...r.rows[0] }).toEqual({ table: t.name, u: false, d: false, x: false, g: false, own: false });
      const updatable = (
        await client.query<{ c: string }>(
          `SELECT attname::text AS c FROM pg_attribute WHERE attrelid = $2::regclass AND attnum > 0 AND NOT attisdropped
           AND has_column_privilege($1, $2, attname, 'UPDATE') ORDER BY attname`,
          [APP_ROLE, t.name],
        )
      ).rows.map((x) => x.c);
      expect({ table: t.name, updatable }).toEqual({
        table: t.name,
        updatable:
          t.name === 'consent'
            ? ['withdrawal_reason', 'withdrawn_at', 'withdrawn_by', 'withdrawn_by_guardian_id', 'withdrawn_by_kind']
            : [],
      });
    }
  });

  it('its DELETE, TRUNCATE and UPDATE statements are refused by privilege, before any trigger', async () => {
    for (const t of tables) {
      await expect(asApp(client, `DELETE FROM ${t.name} WHERE false`), t.name).rejects.toThrow(/permission denied/);
      await expect(asApp(client, `TRUNCATE ${t.name}`), t.name).rejects.toThrow(/permission denied/);
      for (const c of t.columns.filter((c) => !(t.name === 'consent' && c.startsWith('withdraw')))) {
        await expect(asApp(client, `UPDATE ${t.name} SET ${c} = ${c} WHERE false`), `${t.name}.${c}`).rejects.toThrow(/permission denied/);
      }
    }
    await expect(
      asApp(
        client,
        'UPDATE consent SET withdrawn_at = withdrawn_at, withdrawn_by = withdrawn_by, withdrawal_reason = withdrawal_reason WHERE false',
      ),
    ).resolves.toBeUndefined();
  });

  it('it cannot disable the triggers that guard them', async () => {
    await expect(asApp(client, 'SET session_replication_role = replica')).rejects.toThrow(denied);
    await expect(asApp(client, "SELECT set_config('session_replication_role', 'replica', true)")).rejects.toThrow(denied);
    for (const t of tables) {
      await expect(asApp(client, `ALTER TABLE ${t.name} DISABLE TRIGGER ALL`), t.name).rejects.toThrow(denied);
      await expect(asApp(client, `ALTER TABLE ${t.name} DISABLE TRIGGER USER`), t.name).rejects.toThrow(denied);
    }
  });

  it('it keeps what the API needs: reading, inserting, ordinary DML elsewhere', async () => {
    await expect(asApp(client, 'SELECT count(*) FROM consent, journal_entry, disclosure, audit_event_v')).resolves.toBeUndefined();
    await expect(
      asApp(client, "INSERT INTO audit_queue (event_id, action, resource_type, outcome) VALUES (gen_random_uuid(), 'x.y', 'z', 'allowed')"),
    ).resolves.toBeUndefined();
    await expect(asApp(client, 'UPDATE support_case SET status = status WHERE false')).resolves.toBeUndefined();
    await expect(asApp(client, 'DELETE FROM case_participant WHERE false')).resolves.toBeUndefined();
  });

  it('applying the grants again changes nothing', async () => {
    const acl = async () =>
      (
        await client.query<{ a: string }>(
          "SELECT string_agg(relname || coalesce(relacl::text, ''), ';' ORDER BY relname) AS a FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
        )
      ).rows[0]!.a;
    const before = await acl();
    const orm = await initOrm(url(), 2);
    try {
      await migrate(orm);
    } finally {
      await orm.close();
    }
    expect(await acl()).toBe(before);
  });
}

describe("least privilege on a fresh database of the suite's PostgreSQL (the DATABASE_URL path; roles already exist)", () => {
  let url = '';
  beforeAll(async () => {
    const name = `samverka_lp_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: `${inject('pgAdminUrl')}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    url = `${inject('pgAdminUrl')}/${name}`;
    await migrateInTheOtherOrder(url);
  }, 120_000);

  assertsLeastPrivilege(() => url);
});

describe('least privilege on a fresh embedded cluster (no roles before the first migration)', () => {
  let url = '';
  let embedded: EmbeddedDatabase;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-lp-'));
    fs.chmodSync(dir, 0o755);
    embedded = await startEmbeddedPostgres(path.join(dir, 'pg'), await freePort());
    const roles = new pg.Client({ connectionString: `${embedded.adminUrl}/postgres` });
    await roles.connect();
    const r = await roles.query("SELECT 1 FROM pg_roles WHERE rolname LIKE 'samverka%'");
    await roles.end();
    expect(r.rowCount).toBe(0);
    await embedded.ensureDatabase('samverka');
    url = embedded.databaseUrl('samverka');
    await migrateInTheOtherOrder(url);
  }, 120_000);
  afterAll(async () => {
    await embedded?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  assertsLeastPrivilege(() => url);
});

describe('npm start on the embedded PostgreSQL: the API signs in as the application role', () => {
  let dir: string;
  let child: ReturnType<typeof spawn>;
  let api = '';
  let admin: pg.Client;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-lp-start-'));
    fs.chmodSync(dir, 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['NODE_ENV', 'DATABASE_URL', 'DB_ROLE', 'AUDIT_SEQUENCER_DB_ROLE', 'AUDIT_SEQUENCER_DATABASE_URL']) delete env[k];
    const pgPort = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: {
        ...env,
        DEMO: '1',
        PORT: '0',
        LOG_LEVEL: 'info',
        PG_DATA_DIR: path.join(dir, 'pg'),
        PG_PORT: String(pgPort),
        KEYS_DIR: path.join(dir, 'keys'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    api = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no API: ${out}`)), 110_000);
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"address":"(http:[^"]+)"/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', () => reject(new Error(`the server stopped: ${out}`)));
    });
    const secret = fs.readFileSync(path.join(dir, 'pg.secret'), 'utf8').trim();
    admin = new pg.Client({ connectionString: `postgresql://postgres:${encodeURIComponent(secret)}@127.0.0.1:${pgPort}/samverka` });
    await admin.connect();
  }, 120_000);
  afterAll(async () => {
    await admin?.end();
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("every connection of the API and of the sequencer is its own role's login, not the superuser's", async () => {
    expect((await fetch(`${api}/api/ready`)).status).toBe(200);
    const sessions = await admin.query<{ application_name: string; session_user: string; superuser: boolean }>(
      `SELECT a.application_name, a.usename AS session_user, r.rolsuper AS superuser
       FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
       WHERE a.datname = 'samverka' AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'`,
    );
    expect(sessions.rows.length).toBeGreaterThan(0);
    for (const s of sessions.rows) expect(s, s.application_name).toMatchObject({ superuser: false });
    // The job queue signs in as the role that owns only its own schema (pgboss).
    expect(new Set(sessions.rows.map((s) => s.session_user))).toEqual(new Set([APP_ROLE, 'samverka_audit_sequencer', 'samverka_jobs']));
  });
});
