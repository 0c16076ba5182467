// How errors of an unreachable database are answered: 503 problem+json with the request id and
// no internals; a real fault stays 500; readiness says 503 quickly.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { MikroORM } from '@mikro-orm/postgresql';
import { initOrm, ormOptions, type Orm } from '../../src/db/orm.js';
import { loadKeys } from '../../src/lib/keys.js';
import { freePort } from '../global-setup.js';
import { createTestDatabase } from '../helpers/app.js';

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const lostTransaction = (): Error => new Error('Transaction query already complete, run with DEBUG=knex:tx for more info');

async function appOn(databaseUrl: string, reachable = true): Promise<{ app: FastifyInstance; orm: Orm }> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    KEYS_DIR: inject('keysDir'),
    DATABASE_URL: databaseUrl,
    AUDIT_SEQUENCER: 'false',
  });
  // Nothing listens at that address: the ORM must not try to connect at init.
  const orm = reachable ? await initOrm(databaseUrl, 2, false) : await MikroORM.init({ ...ormOptions(databaseUrl, 2), connect: false });
  const app = await buildApp({ config, orm, keys: loadKeys(config.KEYS_DIR, false), logger: false });
  app.get('/api/test/refused', { config: { public: true } }, async () => {
    throw refused();
  });
  app.get('/api/test/lost-transaction', { config: { public: true } }, async () => {
    throw lostTransaction();
  });
  app.get(
    '/api/test/citizen-fault',
    { config: { citizen: true, audit: { action: 'citizen.test.fault', resourceType: 'test' } } },
    async () => {
      throw lostTransaction();
    },
  );
  await app.ready();
  return { app, orm };
}

let up: { app: FastifyInstance; orm: Orm };
let down: { app: FastifyInstance; orm: Orm };

beforeAll(async () => {
  up = await appOn(await createTestDatabase());
  // A database URL where nothing listens: the database is away.
  down = await appOn(`postgresql://postgres:x@127.0.0.1:${await freePort()}/samverka`, false);
});

afterAll(async () => {
  for (const a of [up, down]) {
    await a?.app.close();
    await a?.orm.close();
  }
});

describe('errors of an unreachable database', () => {
  it('answer 503 database_unavailable as problem+json with the request id, and no internals', async () => {
    const res = await up.app.inject({ method: 'GET', url: '/api/test/refused' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['retry-after']).toBe('5');
    const body = res.json<{ type: string; requestId: string; detail: string }>();
    expect(body.type).toBe('urn:samverka:problem:database_unavailable');
    expect(body.requestId).toBe(res.headers['x-request-id']);
    expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|5432/);
  });

  it('a transaction whose first error was lost: 500 while the database answers, 503 while it does not', async () => {
    const reachable = await up.app.inject({ method: 'GET', url: '/api/test/lost-transaction' });
    expect(reachable.statusCode).toBe(500);
    expect(reachable.json<{ type: string }>().type).toBe('urn:samverka:problem:internal');
    const unreachable = await down.app.inject({ method: 'GET', url: '/api/test/lost-transaction' });
    expect(unreachable.statusCode).toBe(503);
    expect(unreachable.json<{ type: string }>().type).toBe('urn:samverka:problem:database_unavailable');
  });

  it("a citizen route's server failure is audited as an error event of a citizen", async () => {
    const signIn = await up.app.citizen.issue(up.orm.em.fork(), {
      personalIdentityNumber: '201001012380',
      acr: 'loa3',
      assertionSha256: 'a'.repeat(64),
      transactionRef: 'txn-1',
    });
    const res = await up.app.inject({
      method: 'GET',
      url: '/api/test/citizen-fault',
      headers: { authorization: `Bearer ${signIn.accessToken}` },
    });
    expect(res.statusCode).toBe(500);
    const rows = await up.orm.em
      .fork()
      .getConnection()
      .execute<{ actor_role: string; outcome: string; reason: string }[]>(
        "SELECT actor_role, outcome, reason FROM audit_queue WHERE action = 'citizen.test.fault'",
      );
    expect(rows).toEqual([{ actor_role: 'citizen', outcome: 'error', reason: 'http_500' }]);
  });

  it('readiness: 200 with the database, 503 problem+json without it, quickly', async () => {
    expect((await up.app.inject({ method: 'GET', url: '/api/ready' })).statusCode).toBe(200);
    const started = Date.now();
    const res = await down.app.inject({ method: 'GET', url: '/api/ready' });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ type: string }>().type).toBe('urn:samverka:problem:not_ready');
    expect((await down.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });

  it('a signed-in request while the database is away: 503, not 500 or a hang', async () => {
    const token = down.app.jwt.sign({ sub: '00000000-0000-4000-8000-000000000001', sid: '00000000-0000-4000-8000-000000000002' });
    const res = await down.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(503);
    expect(res.json<{ type: string }>().type).toBe('urn:samverka:problem:database_unavailable');
  });
});
