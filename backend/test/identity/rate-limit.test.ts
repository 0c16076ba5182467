import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMITED_ROUTES } from '../../src/plugins/external/rate-limit.js';
import { DEMO_PASSWORD, bearer, createTestApp, login, type TestContext } from '../helpers/app.js';

describe('per-user rate limits on the expensive routes', () => {
  let t: TestContext;
  let social: string;
  let auditor: string;
  beforeAll(async () => {
    t = await createTestApp({
      RATE_LIMIT_LOGIN_PER_MINUTE: '4',
      RATE_LIMIT_SEARCH_PER_MINUTE: '2',
      RATE_LIMIT_VERIFY_PER_MINUTE: '1',
      RATE_LIMIT_EXPORT_PER_MINUTE: '1',
    });
    social = await login(t.app, 'social');
    auditor = await login(t.app, 'auditor');
  });
  afterAll(async () => t.close());

  it('every listed route exists, so a renamed route cannot silently lose its limit', () => {
    for (const route of Object.keys(RATE_LIMITED_ROUTES)) {
      const [method, url] = route.split(' ') as [string, string];
      expect(t.app.hasRoute({ method, url }), route).toBe(true);
    }
  });

  it('sign-in: counted per address, 429 problem+json with Retry-After beyond the budget', async () => {
    const signIn = (address: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'police', password: DEMO_PASSWORD },
        headers: { 'x-forwarded-for': address },
      });
    for (let i = 0; i < 4; i++) expect((await signIn('198.51.100.60')).statusCode).toBe(200);
    const refused = await signIn('198.51.100.60');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().type).toBe('urn:samverka:problem:rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await signIn('198.51.100.61')).statusCode).toBe(200);
  });

  it('search: counted per signed-in user, whatever address they use', async () => {
    const search = (token: string, address: string) =>
      t.app.inject({ method: 'POST', url: '/api/cases/search', payload: {}, headers: { ...bearer(token), 'x-forwarded-for': address } });
    expect((await search(social, '198.51.100.70')).statusCode).toBe(200);
    expect((await search(social, '198.51.100.71')).statusCode).toBe(200);
    const refused = await search(social, '198.51.100.72');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().detail).toMatch(/Wait \d+ seconds/);
    const school = await login(t.app, 'school');
    expect((await search(school, '198.51.100.70')).statusCode).toBe(200);
  });

  it('verification and exports have their own budgets, shared by the routes of each', async () => {
    expect((await t.app.inject({ url: '/api/audit/verify', headers: bearer(auditor) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/audit/verify', headers: bearer(auditor) })).statusCode).toBe(429);
    expect((await t.app.inject({ url: '/api/audit/export', headers: bearer(auditor) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/audit/export.csv', headers: bearer(auditor) })).statusCode).toBe(429);
    expect((await t.app.inject({ method: 'HEAD', url: '/api/audit/export', headers: bearer(auditor) })).statusCode).toBe(429);
  });

  it('receipt verification is limited too', async () => {
    const verify = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/consents/receipts/verify',
        payload: { receipt: {}, signature: 'AA==', kid: 'x' },
        headers: bearer(social),
      });
    expect((await verify()).statusCode).not.toBe(429);
    expect((await verify()).statusCode).toBe(429);
  });

  it('the 429 answer is documented on every limited route', async () => {
    const doc = (await t.app.inject({ url: '/api/docs/json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    for (const route of Object.keys(RATE_LIMITED_ROUTES)) {
      const [method, url] = route.split(' ') as [string, string];
      const path = url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[method.toLowerCase()]?.responses['429'], route).toBeDefined();
    }
  });
});
