import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';

/** The headers every API answer carries (helmet's defaults with a CSP that allows nothing: the API serves only JSON). */
const EXPECTED: Record<string, string> = {
  'content-security-policy':
    "default-src 'none';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

describe('security headers', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it.each([
    ['a public answer', 'GET', '/api/health', undefined, 200],
    ['an authenticated answer', 'GET', '/api/me', 'social', 200],
    ['a refusal without a session', 'GET', '/api/cases', undefined, 401],
    ['a missing route', 'GET', '/api/no-such-route', undefined, 404],
    ['bad input', 'POST', '/api/auth/login', undefined, 400],
  ] as const)('on %s', async (_name, method, url, user, status) => {
    const headers = user ? bearer(await login(t.app, user)) : {};
    const res = await t.app.inject({ method, url, headers, ...(method === 'POST' ? { payload: { username: 1 } } : {}) });
    expect(res.statusCode).toBe(status);
    for (const [name, value] of Object.entries(EXPECTED)) expect(res.headers[name], name).toBe(value);
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
