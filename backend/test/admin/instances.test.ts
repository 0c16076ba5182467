// An admin's change reaches every instance of the API at once: sessions ended and roles taken
// away on one instance hold on another that had the user's session cached.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { initOrm, type Orm } from '../../src/db/orm.js';
import { loadKeys } from '../../src/lib/keys.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { call, userId } from './helpers.js';

describe('admin changes on one instance hold on every instance', () => {
  let t: TestContext;
  let other: FastifyInstance;
  let otherOrm: Orm;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp();
    otherOrm = await initOrm(t.databaseUrl, 2, false, t.config.DB_ROLE || undefined);
    other = await buildApp({ config: t.config, orm: otherOrm, keys: loadKeys(t.config.KEYS_DIR, false), logger: false });
    await other.ready();
    admin = await login(t.app, 'admin');
  });
  afterAll(async () => {
    await other.close();
    await otherOrm.close();
    await t.close();
  });

  /** Milliseconds until `probe` answers `status` on the other instance (fails after 2 s). */
  async function untilStatus(probe: () => Promise<number>, status: number): Promise<number> {
    const start = performance.now();
    while (performance.now() - start < 2_000) {
      if ((await probe()) === status) return performance.now() - start;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`still not ${status} after 2 s`);
  }

  it('ending sessions', async () => {
    const token = await login(t.app, 'police');
    const me = async () => (await other.inject({ url: '/api/me', headers: bearer(token) })).statusCode;
    expect(await me()).toBe(200);
    expect(await me()).toBe(200); // now cached on the other instance
    expect((await call(t, admin, 'POST', `/api/admin/users/${await userId(t, 'police')}/sessions/end`)).statusCode).toBe(200);
    expect(await untilStatus(me, 401)).toBeLessThan(500);
  });

  it('taking a role away', async () => {
    const token = await login(t.app, 'auditor');
    const changes = async () => (await other.inject({ url: '/api/admin/changes', headers: bearer(token) })).statusCode;
    expect(await changes()).toBe(200);
    expect(await changes()).toBe(200);
    const res = await call(t, admin, 'PATCH', `/api/admin/users/${await userId(t, 'auditor')}`, { roles: ['coordinator'] });
    expect(res.statusCode).toBe(200);
    expect(await untilStatus(changes, 403)).toBeLessThan(500);
  });
});
