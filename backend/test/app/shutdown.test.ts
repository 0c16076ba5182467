// Shutdown drains: on SIGTERM the real API process stops accepting, lets a slow in-flight write
// finish with its audit event, closes idle keep-alive connections, and only then exits.
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/app.js';
import { get, seed, signIn, startServer, waitFor, type ServerProcess } from './faults-server.js';

let server: ServerProcess;
let db: pg.Pool;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  await seed(databaseUrl);
  db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  db.on('error', () => {});
  server = await startServer({ DATABASE_URL: databaseUrl, AUDIT_SEQUENCER: 'true' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.end();
});

/** An idle keep-alive connection to the server; resolves `closed` when the server ends it. */
async function idleKeepAlive(): Promise<{ closed: Promise<void> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const socket = await new Promise<import('node:net').Socket>((resolve, reject) => {
    const req = http.get(`${server.url}/api/health`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(req.socket!));
    });
    req.on('error', reject);
  });
  return { closed: new Promise((r) => socket.once('close', () => r())) };
}

describe('SIGTERM', () => {
  it('finishes a slow in-flight write with its audit event, closes idle connections, then exits 0', async () => {
    const { token } = await signIn(server, 'admin');
    const idle = await idleKeepAlive();

    // Hold the write inside its transaction: inserts into agency wait for this lock.
    const holder = await db.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE agency IN EXCLUSIVE MODE');
    const name = `Nattvandrarna ${Date.now()}`;
    const inFlight = fetch(`${server.url}/api/admin/agencies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, kind: 'leisure' }),
    });
    await waitFor(
      async () =>
        (await db.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")).rowCount === 1,
      10_000,
    );

    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      await holder.query('COMMIT');
      holder.release();
    };
    try {
      server.child.kill('SIGTERM');
      await idle.closed;
      // Draining: no new connections (or 503 while closing), and the process waits for the write.
      const refused = await get(server, '/api/health').then(
        (r) => r.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(refused);
      await new Promise((r) => setTimeout(r, 300));
      expect(server.alive()).toBe(true);
    } finally {
      await release();
    }
    const res = await inFlight;
    expect(res.status).toBe(201);
    expect(res.headers.get('connection')).toBe('close');
    const { id } = (await res.json()) as { id: string };

    const { code } = await server.exited;
    expect(code).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
    expect((await db.query('SELECT 1 FROM agency WHERE id = $1', [id])).rowCount).toBe(1);
    const event = await db.query(
      "SELECT seq FROM audit_log WHERE resource_id = $1 AND action = 'admin.agency.create' AND outcome = 'allowed'",
      [id],
    );
    expect(event.rowCount).toBe(1);
  }, 60_000);
});
