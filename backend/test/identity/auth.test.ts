import { createPrivateKey, generateKeyPairSync, sign as edSign, createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { DEMO_PASSWORD, bearer, createTestApp, login, type TestContext } from '../helpers/app.js';

const b64url = (v: string | Buffer): string => Buffer.from(v).toString('base64url');

function forge(header: object, payload: object, key: 'none' | { ed: ReturnType<typeof createPrivateKey> } | { hmac: string }): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  if (key === 'none') return `${input}.`;
  if ('ed' in key) return `${input}.${b64url(edSign(null, Buffer.from(input), key.ed))}`;
  return `${input}.${createHmac('sha256', key.hmac).update(input).digest('base64url')}`;
}

describe('sign-in, sessions and tokens', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '50' });
  });
  afterAll(async () => t.close());

  it('signs in with the contract shape and answers /api/me', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'social', password: DEMO_PASSWORD } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresIn', 'mustChangePassword', 'user']);
    expect(body.mustChangePassword).toBe(false);
    expect(body.expiresIn).toBe(900);
    expect(Object.keys(body.user).sort()).toEqual(['agencyId', 'displayName', 'id', 'roles', 'username']);
    expect(body.user.roles).toEqual(['social_worker']);
    const header = JSON.parse(Buffer.from(body.accessToken.split('.')[0], 'base64url').toString());
    expect(header.alg).toBe('EdDSA');
    expect(header.kid).toMatch(/^[0-9a-f]{16}$/);
    const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(900);
    expect(claims.iss).toBe('samverka');
    expect(claims.aud).toBe('samverka-api');

    const me = await t.app.inject({ url: '/api/me', headers: bearer(body.accessToken) });
    expect(me.statusCode).toBe(200);
    expect(me.json().agency.kind).toBe('social_services');
    expect(me.json().username).toBe('social');
  });

  it('refuses wrong credentials with 401 without saying which part was wrong, and audits it', async () => {
    const wrongPw = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'school', password: 'wrong-password-1' },
    });
    const noUser = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'nobody', password: 'wrong-password-1' },
    });
    expect(wrongPw.statusCode).toBe(401);
    expect(noUser.statusCode).toBe(401);
    expect(wrongPw.json().detail).toBe(noUser.json().detail);
    expect(wrongPw.headers['content-type']).toContain('application/problem+json');
    const { rows } = await t.sql.query("SELECT outcome, reason FROM audit_queue WHERE action = 'auth.login' AND outcome = 'denied'");
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows[0].reason).toBe('bad_credentials');
  });

  it('throttles failed sign-ins per user name and address with 429 and Retry-After, even with the right password', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'leisure', password: 'wrong-password-x' },
      });
      expect(r.statusCode).toBe(401);
    }
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'leisure', password: DEMO_PASSWORD },
    });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.json().detail).toMatch(/Wait \d+ seconds/);
    // Another user from the same address is not locked out by it.
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'police', password: DEMO_PASSWORD } })).statusCode,
    ).toBe(200);
  });

  it('revokes the session on sign-out: the same token gets 401 on the next request', async () => {
    const token = await login(t.app, 'coordinator');
    expect((await t.app.inject({ url: '/api/me', headers: bearer(token) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(token) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/me', headers: bearer(token) })).statusCode).toBe(401);
  });

  it('refreshes a live session into a new token; not a revoked one', async () => {
    const token = await login(t.app, 'social');
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/refresh' })).statusCode).toBe(401);
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: bearer(token) });
    expect(res.statusCode).toBe(200);
    const fresh = res.json().accessToken as string;
    expect(fresh.split('.')[1]).not.toBe(undefined);
    const sid = (tok: string) => JSON.parse(Buffer.from(tok.split('.')[1]!, 'base64url').toString()).sid;
    expect(sid(fresh)).toBe(sid(token));
    await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(fresh) });
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers: bearer(token) })).statusCode).toBe(401);
  });

  it('answers 401 to missing, malformed, tampered, alg:none, foreign-key, HS256 and wrong-audience tokens', async () => {
    const good = await login(t.app, 'social');
    const [h, p, s] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const other = generateKeyPairSync('ed25519').privateKey;
    const ownKey = createPrivateKey(fs.readFileSync(path.join(inject('keysDir'), 'jwt-ed25519.pem')));
    const publicPem = t.app.keys.jwt.publicKeyPem;
    const tampered = `${h}.${b64url(JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' }))}.${s}`;
    const now = Math.floor(Date.now() / 1000);
    const bad: Record<string, string | undefined> = {
      missing: undefined,
      garbage: 'Bearer not-a-token',
      tampered: `Bearer ${tampered}`,
      algNone: `Bearer ${forge({ alg: 'none', typ: 'JWT' }, claims, 'none')}`,
      otherKey: `Bearer ${forge(header, claims, { ed: other })}`,
      hs256WithPublicKey: `Bearer ${forge({ alg: 'HS256', typ: 'JWT' }, claims, { hmac: publicPem })}`,
      wrongAudience: `Bearer ${forge(header, { ...claims, aud: 'another-service' }, { ed: ownKey })}`,
      wrongIssuer: `Bearer ${forge(header, { ...claims, iss: 'evil' }, { ed: ownKey })}`,
      expired: `Bearer ${forge(header, { ...claims, iat: now - 2000, exp: now - 1000 }, { ed: ownKey })}`,
      basic: 'Basic c29jaWFsOnB3',
    };
    // The own key still signs acceptable tokens: the refusals above are for the stated reason.
    expect(
      (await t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${forge(header, claims, { ed: ownKey })}` } })).statusCode,
    ).toBe(200);
    for (const [name, authorization] of Object.entries(bad)) {
      const res = await t.app.inject({ url: '/api/me', headers: authorization ? { authorization } : {} });
      expect(res.statusCode, name).toBe(401);
      expect(res.headers['content-type'], name).toContain('application/problem+json');
    }
  });

  it('a token accepted before is refused once it expires (verified tokens are remembered only until their expiry)', async () => {
    const good = await login(t.app, 'social');
    const [h, p] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const ownKey = createPrivateKey(fs.readFileSync(path.join(inject('keysDir'), 'jwt-ed25519.pem')));
    const exp = Math.floor(Date.now() / 1000) + 2;
    const authorization = `Bearer ${forge(header, { ...claims, exp }, { ed: ownKey })}`;
    expect((await t.app.inject({ url: '/api/me', headers: { authorization } })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/me', headers: { authorization } })).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    const res = await t.app.inject({ url: '/api/me', headers: { authorization } });
    expect(res.statusCode).toBe(401);
  });

  it('deactivating a user revokes their token on the very next request', async () => {
    const admin = await login(t.app, 'admin');
    const schoolToken = await login(t.app, 'school');
    const school = (await t.sql.query<{ id: string }>("SELECT id FROM app_user WHERE username = 'school'")).rows[0]!;
    const res = await t.app.inject({ method: 'POST', url: `/api/admin/users/${school.id}/deactivate`, headers: bearer(admin) });
    expect(res.statusCode).toBe(200);
    expect(res.json().active).toBe(false);
    expect((await t.app.inject({ url: '/api/me', headers: bearer(schoolToken) })).statusCode).toBe(401);
    const again = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'school', password: DEMO_PASSWORD } });
    expect(again.statusCode).toBe(401);
  });
});

describe('bad input never crashes and answers problem+json', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp({ BODY_LIMIT_BYTES: '4096' });
  });
  afterAll(async () => t.close());

  const post = (payload: string, contentType = 'application/json') =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', payload, headers: { 'content-type': contentType } });

  it.each([
    ['malformed JSON', '{"username": "social",', 400],
    ['empty body', '', 400],
    ['wrong types', '{"username": 5, "password": true}', 400],
    ['missing field', '{"username": "social"}', 400],
    ['unknown property', `{"username": "social", "password": "${DEMO_PASSWORD}", "admin": true}`, 400],
    ['array instead of object', '[]', 400],
    ['null', 'null', 400],
    ['oversized', JSON.stringify({ username: 'social', password: 'x'.repeat(10_000) }), 413],
  ])('%s → %i', async (_name, payload, status) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body.status).toBe(status);
    expect(body.requestId).toBeTruthy();
    expect(res.body).not.toMatch(/at .*\.ts|SELECT|stack/i);
  });

  it('names the offending field without echoing values, and documents problem+json in OpenAPI', async () => {
    const res = await post(`{"username": "social", "password": "secret-value-123", "admin": true}`);
    expect(res.json().errors).toEqual([{ path: 'body', message: "unknown property 'admin'" }]);
    expect(res.body).not.toContain('secret-value-123');
    const doc = (await t.app.inject({ url: '/api/docs/json' })).json();
    expect(Object.keys(doc.paths['/api/auth/login'].post.responses['401'].content)).toEqual(['application/problem+json']);
  });

  it('unsupported media type → 415', async () => {
    const res = await post('username=social', 'application/x-www-form-urlencoded');
    expect(res.statusCode).toBe(415);
  });

  it('unknown routes → 404 problem', async () => {
    const res = await t.app.inject({ url: '/api/does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(res.json().title).toBe('Not found');
  });

  it('health, ready and the OpenAPI document are public; the rest needs a session', async () => {
    expect((await t.app.inject({ url: '/api/health' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ url: '/api/ready' })).json()).toEqual({ status: 'ready' });
    const doc = (await t.app.inject({ url: '/api/docs/json' })).json();
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/me', '/api/admin/users']));
    expect((await t.app.inject({ url: '/api/me' })).statusCode).toBe(401);
  });

  it("answers with its own request id, never a client's (see request-id.test.ts)", async () => {
    const given = await t.app.inject({ url: '/api/health', headers: { 'x-request-id': 'abcdef12-3456' } });
    expect(given.headers['x-request-id']).not.toBe('abcdef12-3456');
    expect(given.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
