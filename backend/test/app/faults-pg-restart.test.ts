// PostgreSQL restarted under load (a cluster of this test's own, not the suite's shared one): the
// API process stays up, answers 503 (ready and requests) while the database is away, serves again
// by itself once it is back, and no acknowledged write, nor its audit event, is lost.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { initOrm, migrate } from '../../src/db/orm.js';
import { freePort } from '../global-setup.js';
import { get, post, seed, signIn, startServer, waitFor, type Answer, type ServerProcess } from './faults-server.js';

let tmp: string;
let port: number;
let cluster: EmbeddedDatabase | undefined;
let server: ServerProcess | undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-pgrestart-'));
  fs.chmodSync(tmp, 0o755);
  port = await freePort();
  cluster = await startEmbeddedPostgres(path.join(tmp, 'pg'), port);
  await cluster.ensureDatabase('samverka');
  const url = cluster.databaseUrl('samverka');
  const orm = await initOrm(url, 2);
  await migrate(orm);
  await orm.close();
  await seed(url);
  server = await startServer({ DATABASE_URL: url, AUDIT_SEQUENCER: 'true' });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await cluster?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

/** kill -9 of PostgreSQL: the postmaster and every process it started, at once. */
async function killPostgres(): Promise<void> {
  const postmaster = Number(fs.readFileSync(path.join(tmp, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  for (const pid of [postmaster, ...children]) process.kill(pid, 'SIGKILL');
  await waitFor(
    async () =>
      [postmaster, ...children].every(
        (pid) => !fs.existsSync(`/proc/${pid}`) || /\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')),
      ),
    10_000,
  );
}

describe.each([
  ['stopped (fast shutdown)', (): Promise<void> => cluster!.stop()],
  ['killed with SIGKILL', killPostgres],
])('PostgreSQL %s under load', (_how, takeDown) => {
  it('the API stays up, says 503 while the database is away, serves again, and loses no acknowledged write', async () => {
    const api = server!;
    const { token } = await signIn(api, 'admin');
    const writes: Answer[] = [];
    const reads: Answer[] = [];
    // Each readiness answer with the time its request was sent and the time it came back.
    const ready: { sent: number; at: number; status: number }[] = [];
    let load = true;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; load; i += 1) {
        writes.push(await post(api, '/api/admin/agencies', { name: `Områdesgrupp ${w}-${i}-${Date.now()}`, kind: 'leisure' }, token));
        reads.push(await get(api, '/api/me', token));
        await sleep(20);
      }
    };
    const poller = async (): Promise<void> => {
      while (load) {
        const sent = Date.now();
        const { status } = await get(api, '/api/ready');
        ready.push({ sent, at: Date.now(), status });
        await sleep(100);
      }
    };
    const running = [...[0, 1, 2, 3].map(worker), poller()];

    await sleep(1_500);
    await takeDown();
    const downAt = Date.now();
    await sleep(2_500);
    const restartAt = Date.now();
    cluster = await startEmbeddedPostgres(path.join(tmp, 'pg'), port);
    const upAt = Date.now();
    await waitFor(
      async () => ready.some((r) => r.at > upAt && r.status === 200),
      30_000,
      () => !api.alive(),
    );
    const recoveredAt = Date.now();
    await waitFor(
      async () => writes.slice(-20).filter((w) => w.status === 201).length >= 10,
      30_000,
      () => !api.alive(),
    );
    load = false;
    await Promise.all(running);

    expect(api.alive()).toBe(true);
    expect(recoveredAt - upAt).toBeLessThan(15_000);
    // While it was down: ready said 503, and so did requests, as problem+json with a request id.
    const whileDown = ready.filter((r) => r.sent > downAt + 500 && r.at < restartAt);
    expect(whileDown.length).toBeGreaterThan(5);
    expect(whileDown.every((r) => r.status === 503)).toBe(true);
    const failed = [...writes, ...reads].filter((a) => a.status !== 200 && a.status !== 201);
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) {
      expect(f.status).toBe(503);
      expect(f.body.type).toBe('urn:samverka:problem:database_unavailable');
      expect(f.body.requestId).toEqual(expect.any(String));
      expect(f.headers.get('content-type')).toContain('application/problem+json');
    }

    // Every acknowledged write is there, and its audit event is sequenced.
    const acknowledged = writes.filter((w) => w.status === 201).map((w) => String(w.body.id));
    expect(acknowledged.length).toBeGreaterThan(10);
    const db = new pg.Client({ connectionString: cluster.databaseUrl('samverka') });
    await db.connect();
    try {
      const stored = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM agency WHERE id = ANY($1::uuid[])', [acknowledged]);
      expect(stored.rows[0]!.n).toBe(acknowledged.length);
      const audited = async (): Promise<number> =>
        (
          await db.query<{ n: number }>(
            "SELECT count(DISTINCT resource_id)::int AS n FROM audit_log WHERE action = 'admin.agency.create' AND resource_id = ANY($1::text[])",
            [acknowledged],
          )
        ).rows[0]!.n;
      await waitFor(async () => (await audited()) === acknowledged.length, 20_000);
      expect(await audited()).toBe(acknowledged.length);
    } finally {
      await db.end();
    }
    expect(api.output()).not.toContain("Unhandled 'error' event");
    // The driver's own warnings (a connection lost with the restart) are JSON log lines too.
    const driverLines = api
      .output()
      .split('\n')
      .filter((l) => l.includes('Connection Error'));
    expect(driverLines.filter((l) => !l.startsWith('{"level"'))).toEqual([]);
    expect(api.output()).toContain('"component":"database-driver"');
    // Readiness saying 503 is the probe doing its job: logged as a warning, not as an error.
    const notReady = api
      .output()
      .split('\n')
      .filter((l) => l.includes('"code":"not_ready"'));
    expect(notReady.length).toBeGreaterThan(0);
    expect(notReady.filter((l) => !l.startsWith('{"level":40'))).toEqual([]);
  }, 120_000);
});

describe('PostgreSQL down at start', () => {
  it('an API started while PostgreSQL is down waits for it, and starts once it is up', async () => {
    await server!.stop();
    await cluster!.stop();
    server = await startServer({ DATABASE_URL: cluster!.databaseUrl('samverka'), AUDIT_SEQUENCER: 'true' }, false);
    const api = server;
    await waitFor(
      async () => api.output().includes('the database cannot be reached; trying again'),
      30_000,
      () => !api.alive(),
    );
    await sleep(1_500);
    expect(api.alive()).toBe(true);
    cluster = await startEmbeddedPostgres(path.join(tmp, 'pg'), port);
    await waitFor(
      async () => (await get(api, '/api/ready')).status === 200,
      30_000,
      () => !api.alive(),
    );
    const { token } = await signIn(api, 'social');
    expect((await get(api, '/api/me', token)).status).toBe(200);
  }, 90_000);
});
