// Losing a database connection never takes the process down: each kind of long-lived connection
// of the real API process is terminated in turn (pg_terminate_backend), and the API must stay up,
// reconnect by itself and serve again; the revocation listener must not miss a revocation.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POOL_APPLICATION_NAME } from '../../src/db/orm.js';
import { SEQUENCER_APPLICATION_NAME } from '../../src/modules/audit/audit.sequencer.js';
import { LISTENER_APPLICATION_NAME, REVOCATION_CHANNEL } from '../../src/modules/identity/session-cache.js';
import { createTestDatabase } from '../helpers/app.js';
import { get, post, seed, signIn, startServer, waitFor, type ServerProcess } from './faults-server.js';

let server: ServerProcess;
let db: pg.Pool;

async function terminate(applicationName: string): Promise<number> {
  const r = await db.query<{ n: string }>(
    'SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
    [applicationName],
  );
  return Number(r.rows[0]!.n);
}

/** The listener is connected and subscribed (its last statement was the LISTEN). */
async function listenerSubscribed(): Promise<boolean> {
  const r = await db.query(
    "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND query LIKE 'LISTEN%'",
    [LISTENER_APPLICATION_NAME],
  );
  return r.rowCount === 1;
}

/** Revokes a session as another instance of the API would: in the database, then NOTIFY. */
async function revokeElsewhere(sessionId: string, before = ''): Promise<void> {
  const c = await db.connect();
  try {
    await c.query('BEGIN');
    if (before) await c.query(before);
    await c.query('UPDATE user_session SET revoked_at = now() WHERE id = $1', [sessionId]);
    await c.query('SELECT pg_notify($1, $2)', [REVOCATION_CHANNEL, `session:${sessionId}`]);
    await c.query('COMMIT');
  } finally {
    c.release();
  }
}

async function servesAgain(token: string): Promise<void> {
  await waitFor(
    async () => (await get(server, '/api/me', token)).status === 200,
    20_000,
    () => !server.alive(),
  );
}

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  await seed(databaseUrl);
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  db.on('error', () => {});
  server = await startServer({ DATABASE_URL: databaseUrl, AUDIT_SEQUENCER: 'true' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.end();
});

describe('a terminated database connection', () => {
  it('of the request pool: the API stays up and serves again', async () => {
    const { token } = await signIn(server, 'social');
    expect((await get(server, '/api/me', token)).status).toBe(200);
    expect(await terminate(POOL_APPLICATION_NAME)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.alive()).toBe(true);
    // Broken pooled connections are replaced: every request after the first few succeeds.
    await servesAgain(token);
    const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await get(server, '/api/me', token)).status));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(server.alive()).toBe(true);
  });

  it('of the session listener: the API stays up, the listener comes back and a revocation after that takes effect at once', async () => {
    await waitFor(listenerSubscribed, 10_000);
    const { token, sessionId } = await signIn(server, 'school');
    expect(await terminate(LISTENER_APPLICATION_NAME)).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.alive()).toBe(true);
    await waitFor(listenerSubscribed, 20_000, () => !server.alive());
    await servesAgain(token);
    // The session is cached now (5 s); the revocation arrives only through the listener.
    expect((await get(server, '/api/me', token)).status).toBe(200);
    await revokeElsewhere(sessionId);
    await waitFor(async () => (await get(server, '/api/me', token)).status === 401, 2_000);
    expect(server.output()).toContain('session revocation listener lost');
  });

  it('of the session listener: a revocation sent while it was away is not missed', async () => {
    await waitFor(listenerSubscribed, 10_000);
    const { token, sessionId } = await signIn(server, 'police');
    expect((await get(server, '/api/me', token)).status).toBe(200);
    expect((await get(server, '/api/me', token)).status).toBe(200);
    // Terminated, and revoked in the same transaction: the NOTIFY reaches no listener of this API.
    await revokeElsewhere(
      sessionId,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '${LISTENER_APPLICATION_NAME}'`,
    );
    await waitFor(listenerSubscribed, 20_000, () => !server.alive());
    expect(server.alive()).toBe(true);
    expect((await get(server, '/api/me', token)).status).toBe(401);
  });

  it('of the audit sequencer: the API stays up and the sequencer takes up again where it was', async () => {
    const { token } = await signIn(server, 'admin');
    const head = async (): Promise<number> =>
      Number((await db.query<{ n: string }>('SELECT coalesce(max(seq), 0) AS n FROM audit_log')).rows[0]!.n);
    await waitFor(
      async () =>
        (await db.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [SEQUENCER_APPLICATION_NAME])).rowCount === 1,
      10_000,
    );
    expect(await terminate(SEQUENCER_APPLICATION_NAME)).toBe(1);
    const created = await post(server, '/api/admin/agencies', { name: `Fältgruppen ${Date.now()}`, kind: 'leisure' }, token);
    expect(created.status).toBe(201);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.alive()).toBe(true);
    // The event of that write is sequenced once the sequencer is connected again.
    await waitFor(
      async () => {
        const r = await db.query('SELECT 1 FROM audit_log WHERE resource_id = $1', [created.body.id]);
        return r.rowCount === 1;
      },
      20_000,
      () => !server.alive(),
    );
    expect(await head()).toBeGreaterThan(0);
    const unsequenced = async (): Promise<number> =>
      (
        await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM audit_queue q WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE (l.queue_txid, l.queue_id) = (q.txid, q.id))',
        )
      ).rows[0]!.n;
    await waitFor(async () => (await unsequenced()) === 0, 10_000);
    expect(await unsequenced()).toBe(0);
    expect(server.output()).toContain('audit sequencer');
  });

  it('of every kind at once: still up, ready, and serving', async () => {
    const { token } = await signIn(server, 'coordinator');
    for (const name of [POOL_APPLICATION_NAME, LISTENER_APPLICATION_NAME, SEQUENCER_APPLICATION_NAME]) await terminate(name);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.alive()).toBe(true);
    await waitFor(
      async () => (await get(server, '/api/ready')).status === 200,
      20_000,
      () => !server.alive(),
    );
    await servesAgain(token);
    expect(server.output()).not.toMatch(/Unhandled 'error' event|Connection terminated unexpectedly\n\s+at/);
  });
});
