import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig, repoRoot } from '../../src/config.js';
import { APP_ROLE, SEQUENCER_ROLE } from '../../src/db/grants.js';
import { initOrm, migrate, type Orm } from '../../src/db/orm.js';
import { seedDemo } from '../../src/db/seed.js';
import { loadKeys } from '../../src/lib/keys.js';
import { createCase, pin } from '../cases/fixtures.js';
import { freePort } from '../global-setup.js';
import { bearer, DEMO_PASSWORD, login } from '../helpers/app.js';
import { ensurePostgres15, giveToServer, initCluster, pgPath, pgTool, startCluster, type Cluster } from './pg-cluster.js';

// The drills of issue 15 §3 on real PostgreSQL: an encrypted logical backup (backup.sh) restored
// into a fresh cluster (restore.sh), and point-in-time recovery from a base backup plus archived
// WAL. The app runs in-process against each database, as the server would.
const scripts = path.join(repoRoot, 'infra/backup');
const DB = 'samverka';

interface Running {
  app: FastifyInstance;
  orm: Orm;
  close(): Promise<void>;
}

/** What the server does at start (migrations and grants, demo data when asked), then the app under the roles' grants. */
async function startApp(url: string, seed: boolean): Promise<Running> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    KEYS_DIR: inject('keysDir'),
    DATABASE_URL: url,
    AUDIT_SEQUENCER: 'false',
    DB_ROLE: APP_ROLE,
    AUDIT_SEQUENCER_DB_ROLE: SEQUENCER_ROLE,
  });
  const owner = await initOrm(url, 2);
  try {
    await migrate(owner);
    if (seed) await seedDemo(owner.em.fork(), DEMO_PASSWORD);
  } finally {
    await owner.close();
  }
  const orm = await initOrm(url, 4, false, APP_ROLE);
  const app = await buildApp({ config, orm, keys: loadKeys(config.KEYS_DIR, false), logger: false });
  await app.ready();
  return {
    app,
    orm,
    async close() {
      await app.close();
      await orm.close();
    },
  };
}

/** Sequences every queued audit event (the sequencer's own batches), then signs a checkpoint of the head. */
async function sequenceAll(cluster: Cluster, app: FastifyInstance): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { n } = await cluster.one<{ n: number }>(
      DB,
      'SELECT count(*)::int AS n FROM audit_queue q WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.queue_id = q.id)',
    );
    if (n === 0) break;
    await app.auditSequencer.runOnce();
  }
  await app.auditSequencer.checkpointNow();
}

/** Exact row counts of every table the product and its job queue own. */
async function rowCounts(cluster: Cluster): Promise<Record<string, number>> {
  const tables = await cluster.query<{ t: string }>(
    DB,
    "SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'pgboss') AND c.relkind IN ('r', 'p') ORDER BY 1",
  );
  const counts: Record<string, number> = {};
  for (const { t } of tables) counts[t] = (await cluster.query<{ n: number }>(DB, `SELECT count(*)::int AS n FROM ${t}`))[0]!.n;
  return counts;
}

interface AuditHead {
  head: number;
  chain: string;
  checkpoint: number;
}
async function auditHead(cluster: Cluster): Promise<AuditHead> {
  const [r] = await cluster.query<{ head: string; chain: string; checkpoint: string }>(
    DB,
    "SELECT l.seq AS head, encode(l.chain_hash, 'hex') AS chain, (SELECT max(tree_size) FROM audit_checkpoint) AS checkpoint FROM audit_log l ORDER BY l.seq DESC LIMIT 1",
  );
  return { head: Number(r!.head), chain: r!.chain, checkpoint: Number(r!.checkpoint) };
}

async function verify(app: FastifyInstance): Promise<{ ok: boolean; size: number; checkpointsVerified: number; firstBadSeq?: number }> {
  const token = await login(app, 'auditor');
  const res = await app.inject({ url: '/api/audit/verify?full=true', headers: bearer(token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await done()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('backup and restore drills on real PostgreSQL', () => {
  let dir: string;
  let source: Cluster;
  let running: Running;
  const clusters: Cluster[] = [];
  let counts: Record<string, number>;
  let before: AuditHead;
  let dump: string;
  const key = (): string => path.join(dir, 'backup.key.pem');

  beforeAll(async () => {
    ensurePostgres15();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-drill-'));
    fs.chmodSync(dir, 0o755);
    const archive = path.join(dir, 'wal-archive');
    fs.mkdirSync(archive);
    giveToServer(archive);
    // Continuous WAL archiving into a directory, as the object store would receive it.
    source = initCluster(path.join(dir, 'clusters', 'source'), await freePort(), {
      wal_level: 'replica',
      archive_mode: 'on',
      archive_command: `test ! -f ${archive}/%f && cp %p ${archive}/%f`,
      fsync: 'off',
    });
    clusters.push(source);
    await source.query('postgres', `CREATE DATABASE ${DB}`);
    running = await startApp(source.url(DB), true);
    const social = await login(running.app, 'social');
    for (let i = 0; i < 3; i++) {
      const c = await createCase(running.app, social, {}, { personalIdentityNumber: pin(`2012010${i + 1}`, '238'), guardians: [] });
      for (let j = 0; j < 4; j++) {
        const res = await running.app.inject({
          method: 'POST',
          url: `/api/cases/${c.id}/entries`,
          headers: bearer(social),
          payload: { category: 'social', text: `Uppföljning ${j + 1}.` },
        });
        expect(res.statusCode).toBe(201);
      }
    }
    await sequenceAll(source, running.app);
    counts = await rowCounts(source);
    before = await auditHead(source);
    // A throwaway backup key pair: the certificate encrypts, the private key (offline) decrypts.
    const req = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key(),
        '-out',
        path.join(dir, 'backup.pub.pem'),
        '-subj',
        '/CN=samverka-backup-drill',
        '-days',
        '2',
      ],
      { encoding: 'utf8' },
    );
    expect(req.status, req.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await running?.close();
    for (const c of clusters) c.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('backup.sh writes an encrypted, checksummed dump of the seeded database', () => {
    expect(counts['public.support_case']).toBe(3);
    expect(counts['public.journal_entry']).toBe(12);
    expect(before.head, JSON.stringify(before)).toBeGreaterThan(15);
    expect(before.checkpoint).toBe(before.head);
    const out = path.join(dir, 'backups');
    fs.mkdirSync(out);
    const r = spawnSync('bash', [path.join(scripts, 'backup.sh')], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: pgPath(),
        DATABASE_URL: source.url(DB),
        BACKUP_DIR: out,
        BACKUP_PUBKEY: path.join(dir, 'backup.pub.pem'),
      },
    });
    expect(r.status, r.stderr).toBe(0);
    const files = fs.readdirSync(out).sort();
    expect(files).toHaveLength(2);
    dump = path.join(out, files[0]!);
    expect(files[1]).toBe(`${files[0]}.sha256`);
    // Not a readable pg_dump archive (its magic is "PGDMP") nor any of the data in clear.
    const bytes = fs.readFileSync(dump);
    expect(bytes.includes(Buffer.from('PGDMP'))).toBe(false);
    expect(bytes.includes(Buffer.from('Uppföljning'))).toBe(false);
  });

  it('restore.sh restores it into a fresh cluster with the same rows, and refuses a damaged dump or a database in use', async () => {
    const target = initCluster(path.join(dir, 'clusters', 'restored'), await freePort(), { fsync: 'off' });
    clusters.push(target);
    // As in production: the tables belong to an owner role of their own, not to the superuser.
    await target.query('postgres', 'CREATE ROLE samverka_owner LOGIN');
    await target.query('postgres', `CREATE DATABASE ${DB} OWNER samverka_owner`);
    const restore = (file: string) =>
      spawnSync('bash', [path.join(scripts, 'restore.sh'), file], {
        encoding: 'utf8',
        env: { ...process.env, PATH: pgPath(), DATABASE_URL: target.url(DB), BACKUP_KEY: key(), RESTORE_ROLE: 'samverka_owner' },
      });

    const damaged = path.join(dir, 'damaged.dump.p7m');
    const bytes = fs.readFileSync(dump);
    bytes[bytes.length >> 1]! ^= 0xff;
    fs.writeFileSync(damaged, bytes);
    fs.copyFileSync(`${dump}.sha256`, `${damaged}.sha256`);
    const refused = restore(damaged);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('checksum mismatch');

    // The new cluster's transaction ids are behind the source's: the restored audit queue must be
    // rebased (restore.sh), or events written after the restore would never be sequenced.
    const { xid } = await target.one<{ xid: string }>(DB, 'SELECT pg_current_xact_id()::text AS xid');
    const { maxTxid } = await source.one<{ maxTxid: string }>(DB, 'SELECT max(txid)::text AS "maxTxid" FROM audit_queue');
    expect(BigInt(xid)).toBeLessThan(BigInt(maxTxid));

    // A cut-off copy whose checksum was taken of it: refused, and nothing of it left behind.
    const cut = path.join(dir, 'cut.dump.p7m');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    fs.writeFileSync(`${cut}.sha256`, `${spawnSync('sha256sum', [cut], { encoding: 'utf8' }).stdout}`);
    expect(restore(cut).status).not.toBe(0);
    const { tables } = await target.one<{ tables: number }>(
      DB,
      "SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(tables).toBe(0);

    const t0 = Date.now();
    const r = restore(dump);
    expect(r.status, r.stderr).toBe(0);
    console.log(`restore.sh: ${Date.now() - t0} ms for ${Object.values(counts).reduce((a, b) => a + b, 0)} rows`);
    expect(await rowCounts(target)).toEqual(counts);
    expect(await auditHead(target)).toEqual(before);
    const owners = await target.query<{ owner: string }>(
      DB,
      "SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(owners).toEqual([{ owner: 'samverka_owner' }]);

    const again = restore(dump);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('restore into a new, empty database');
  }, 120_000);

  it('the restored copy verifies, and new audit events continue its chain after the last checkpoint (no fork)', async () => {
    const target = clusters[1]!;
    const restored = await startApp(target.url(DB), false);
    try {
      const first = await verify(restored.app);
      expect(first).toMatchObject({ ok: true, size: before.head });
      expect(first.checkpointsVerified).toBeGreaterThan(0);

      // Writing after the restore: the sequencer picks up from the restored head.
      const social = await login(restored.app, 'social');
      await createCase(restored.app, social, {}, { personalIdentityNumber: pin('20120201', '238'), guardians: [] });
      await sequenceAll(target, restored.app);
      const after = await auditHead(target);
      expect(after.head).toBeGreaterThan(before.head);
      expect(after.checkpoint).toBe(after.head);
      const seqs = await target.query<{ n: number; lo: string; hi: string }>(
        DB,
        'SELECT count(*)::int AS n, min(seq) AS lo, max(seq) AS hi FROM audit_log WHERE seq > $1',
        [before.head],
      );
      expect(seqs[0]).toEqual({ n: after.head - before.head, lo: String(before.head + 1), hi: String(after.head) });
      // The event at the old head is unchanged: the new events hang off the chain that was backed up.
      const [old] = await target.query<{ chain: string }>(DB, "SELECT encode(chain_hash, 'hex') AS chain FROM audit_log WHERE seq = $1", [
        before.head,
      ]);
      expect(old!.chain).toBe(before.chain);
      // Every checkpoint, those signed before the backup and the new one, verifies against one tree.
      const second = await verify(restored.app);
      expect(second).toMatchObject({ ok: true });
      expect(second.size).toBeGreaterThanOrEqual(after.head);
      expect(second.checkpointsVerified).toBeGreaterThan(first.checkpointsVerified);
    } finally {
      await restored.close();
    }
  }, 120_000);

  it('point-in-time recovery from a base backup and archived WAL lands between two known writes', async () => {
    const base = path.join(dir, 'clusters', 'pitr');
    const bb = pgTool('pg_basebackup', ['-d', source.url('postgres'), '-D', base, '--wal-method=none', '--checkpoint=fast', '--no-sync']);
    expect(bb.status, bb.stderr).toBe(0);

    const social = await login(running.app, 'social');
    const kept = await createCase(running.app, social, {}, { personalIdentityNumber: pin('20120301', '238'), guardians: [] });
    await sleep(300);
    const { target } = await source.one<{ target: string }>(
      DB,
      "SELECT to_char(clock_timestamp(), 'YYYY-MM-DD HH24:MI:SS.US TZH:TZM') AS target",
    );
    await sleep(300);
    const lost = await createCase(running.app, social, {}, { personalIdentityNumber: pin('20120302', '238'), guardians: [] });
    // Close the WAL segment holding the second write and wait until it is archived.
    const { wal } = await source.one<{ wal: string }>(DB, 'SELECT pg_walfile_name(pg_switch_wal()) AS wal');
    await waitFor('the WAL archive', 30_000, async () => {
      const [a] = await source.query<{ last: string | null }>(DB, 'SELECT last_archived_wal AS last FROM pg_stat_archiver');
      return a!.last !== null && a!.last >= wal;
    });

    const archive = path.join(dir, 'wal-archive');
    fs.appendFileSync(
      path.join(base, 'postgresql.auto.conf'),
      [
        `restore_command = 'cp ${archive}/%f %p'`,
        `recovery_target_time = '${target}'`,
        "recovery_target_action = 'promote'",
        // The recovered copy must not archive into the original's archive.
        "archive_mode = 'off'",
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(base, 'recovery.signal'), '');
    const t0 = Date.now();
    const recovered = startCluster(base, await freePort());
    clusters.push(recovered);
    await waitFor(
      'recovery to end',
      60_000,
      async () => !(await recovered.query<{ r: boolean }>(DB, 'SELECT pg_is_in_recovery() AS r'))[0]!.r,
    );
    console.log(`point-in-time recovery to ${target}: ${Date.now() - t0} ms`);

    const ids = (
      await recovered.query<{ id: string }>(DB, 'SELECT id FROM support_case WHERE id = ANY($1::uuid[])', [[kept.id, lost.id]])
    ).map((r) => r.id);
    expect(ids).toEqual([kept.id]);
    // The first write's audit events came back with it.
    const { n } = await recovered.one<{ n: number }>(
      DB,
      "SELECT count(*)::int AS n FROM audit_queue WHERE action = 'case.create' AND resource_id = $1",
      [kept.id],
    );
    expect(n).toBe(1);
  }, 120_000);
});
