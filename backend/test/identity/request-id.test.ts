import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp, loggerOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { initOrm, type Orm } from '../../src/db/orm.js';
import { seedDemo } from '../../src/db/seed.js';
import { loadKeys } from '../../src/lib/keys.js';
import { DEMO_PASSWORD, bearer, createTestApp, createTestDatabase } from '../helpers/app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("request ids are the server's own; a client's id is kept beside them", () => {
  const lines: string[] = [];
  let app: FastifyInstance;
  let orm: Orm;
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', KEYS_DIR: inject('keysDir'), DATABASE_URL: databaseUrl, AUDIT_SEQUENCER: 'false' });
    orm = await initOrm(databaseUrl, 3, true);
    await seedDemo(orm.em.fork(), DEMO_PASSWORD);
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    app = await buildApp({ config, orm, keys: loadKeys(config.KEYS_DIR, false), logger: { ...(loggerOptions('info') as object), stream } });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await orm.close();
  });

  const signIn = (requestId: string) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'social', password: DEMO_PASSWORD },
      headers: { 'x-request-id': requestId },
    });
  const auditRow = async (requestId: string, table = 'audit_queue') =>
    (
      await orm.em
        .fork()
        .getConnection()
        .execute<{ request_id: string; client_request_id: string | null }[]>(
          `SELECT request_id, client_request_id FROM ${table} WHERE request_id = ?`,
          [requestId],
        )
    )[0];

  it("never adopts a client's x-request-id, even a well-formed one; the audit row keeps it as client_request_id", async () => {
    const res = await signIn('web-4f2a-0001');
    expect(res.statusCode).toBe(200);
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(UUID);
    expect(id).not.toBe('web-4f2a-0001');
    expect(await auditRow(id)).toEqual({ request_id: id, client_request_id: 'web-4f2a-0001' });
  });

  it("a client cannot pass another request's id off as its own", async () => {
    const first = await signIn('web-4f2a-0002');
    const victimId = first.headers['x-request-id'] as string;
    const replay = await signIn(victimId);
    expect(replay.headers['x-request-id']).not.toBe(victimId);
    const { count } = (
      await orm.em.fork().getConnection().execute<{ count: string }[]>('SELECT count(*) FROM audit_queue WHERE request_id = ?', [victimId])
    )[0]!;
    expect(Number(count)).toBe(1);
  });

  it.each([
    ['too long', 'x'.repeat(65)],
    ['markup', '<script>alert(1)</script>'],
    ['spaces and quotes', 'a "b" c'],
  ])('drops a client id that is %s', async (_name, given) => {
    const res = await signIn(given);
    expect(await auditRow(res.headers['x-request-id'] as string)).toEqual({
      request_id: res.headers['x-request-id'],
      client_request_id: null,
    });
  });

  it("logs carry the server id as reqId and the client's as clientRequestId", async () => {
    const res = await signIn('web-4f2a-0003');
    const id = res.headers['x-request-id'] as string;
    const mine = lines.map((l) => JSON.parse(l) as { reqId?: string; clientRequestId?: string }).filter((l) => l.reqId === id);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    for (const line of mine) expect(line.clientRequestId).toBe('web-4f2a-0003');
  });

  it('the sequenced log keeps client_request_id outside the hashed event: verification still passes', async () => {
    const res = await signIn('web-4f2a-0004');
    const id = res.headers['x-request-id'] as string;
    await app.auditSequencer.drain();
    expect(await auditRow(id, 'audit_log')).toEqual({ request_id: id, client_request_id: 'web-4f2a-0004' });
    const auditor = (
      await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'auditor', password: DEMO_PASSWORD } })
    ).json().accessToken as string;
    await app.auditSequencer.drain();
    const verified = await app.inject({ url: '/api/audit/verify?full=true', headers: bearer(auditor) });
    expect(verified.json()).toMatchObject({ ok: true });
  });
});

describe('the application role may write the client id', () => {
  it('a sign-in with a client id succeeds as samverka_app (INSERT granted on the new column)', async () => {
    const t = await createTestApp({ DB_ROLE: 'samverka_app' });
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'social', password: DEMO_PASSWORD },
        headers: { 'x-request-id': 'web-4f2a-0005' },
      });
      expect(res.statusCode).toBe(200);
      const { rows } = await t.sql.query('SELECT client_request_id FROM audit_queue WHERE request_id = $1', [res.headers['x-request-id']]);
      expect(rows).toEqual([{ client_request_id: 'web-4f2a-0005' }]);
    } finally {
      await t.close();
    }
  });
});
