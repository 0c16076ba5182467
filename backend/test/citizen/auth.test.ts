import { createHash } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/config.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { signInAtProvider, startOidcProvider, type OidcTestAccount, type OidcTestProvider } from '../helpers/oidc-provider.js';
import { MINOR, pin } from '../cases/fixtures.js';

const LOA3 = 'http://id.elegnamnden.se/loa/1.0/loa3';
const LOA2 = 'http://id.elegnamnden.se/loa/1.0/loa2';
const CLIENT_ID = 'samverka-citizen';
const ADULT_PIN = pin('19800520', '222');

describe("a citizen's sign-in with e-identification", () => {
  let t: TestContext;
  let eid: OidcTestProvider;
  let other: OidcTestProvider;

  beforeAll(async () => {
    const redirectUris = ['http://127.0.0.1:5173/citizen/login/callback'];
    const accounts: OidcTestAccount[] = [
      { login: 'elin', password: 'pw', sub: 'eid-elin', acr: LOA3, claims: { personal_identity_number: MINOR, txn: 'txn-elin-1' } },
      { login: 'anna', password: 'pw', sub: 'eid-anna', acr: LOA3, claims: { personal_identity_number: ADULT_PIN } },
      { login: 'weak', password: 'pw', sub: 'eid-weak', acr: LOA2, claims: { personal_identity_number: MINOR } },
      { login: 'nopin', password: 'pw', sub: 'eid-nopin', acr: LOA3 },
      { login: 'badpin', password: 'pw', sub: 'eid-badpin', acr: LOA3, claims: { personal_identity_number: '201103142381' } },
      { login: 'shortpin', password: 'pw', sub: 'eid-shortpin', acr: LOA3, claims: { personal_identity_number: MINOR.slice(2) } },
    ];
    const idTokenClaims = ['personal_identity_number', 'txn'];
    eid = await startOidcProvider({ name: 'E-legitimation', clients: [{ clientId: CLIENT_ID, redirectUris }], accounts, idTokenClaims });
    other = await startOidcProvider({ name: 'Annan', clients: [{ clientId: CLIENT_ID, redirectUris }], accounts, idTokenClaims });
    t = await createTestApp({ CITIZEN_OIDC_ISSUER: eid.issuer, CITIZEN_OIDC_CLIENT_ID: CLIENT_ID });
    expect(t.config.ORIGIN).toBe('http://127.0.0.1:5173');
  });
  afterAll(async () => {
    await Promise.all([eid?.close(), other?.close()]);
    await t?.close();
  });

  const start = async (returnTo?: string): Promise<URL> => {
    const res = await t.app.inject({
      url: `/api/citizen/auth/start${returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`}`,
    });
    expect(res.statusCode, res.body).toBe(302);
    return new URL(String(res.headers.location));
  };
  const callback = (query: URLSearchParams | string) => t.app.inject({ url: `/api/citizen/auth/callback?${String(query)}` });
  const authorize = async (who: string, returnTo?: string): Promise<URLSearchParams> => {
    const back = await signInAtProvider((await start(returnTo)).href, who, 'pw');
    expect(`${back.origin}${back.pathname}`).toBe('http://127.0.0.1:5173/citizen/login/callback');
    return back.searchParams;
  };
  const sessions = async (): Promise<number> => Number((await t.sql.query('SELECT count(*) AS n FROM citizen_session')).rows[0].n);
  const lastSignIn = async (): Promise<{ outcome: string; reason: string | null; actor_role: string; actor_id: string | null }> =>
    (
      await t.sql.query(
        "SELECT outcome, reason, actor_role, actor_id FROM audit_queue WHERE action = 'citizen.sign_in' ORDER BY occurred_at DESC, event_id DESC LIMIT 1",
      )
    ).rows[0];

  async function expectRefused(query: URLSearchParams | string, status: number, code: string, reason: string): Promise<void> {
    const before = await sessions();
    const res = await callback(query);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().type).toBe(`urn:samverka:problem:${code}`);
    expect(await sessions()).toBe(before);
    expect(await lastSignIn()).toMatchObject({ outcome: 'denied', reason, actor_role: 'citizen', actor_id: null });
  }

  it('sends the browser to the provider with PKCE S256, state, nonce, acr_values and a fresh login; keeps a hash of state', async () => {
    const url = await start('/citizen/consents');
    const q = url.searchParams;
    expect(`${url.origin}`).toBe(eid.issuer);
    expect(q.get('client_id')).toBe(CLIENT_ID);
    expect(q.get('redirect_uri')).toBe('http://127.0.0.1:5173/citizen/login/callback');
    expect(q.get('scope')).toBe('openid');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('acr_values')).toBe(LOA3);
    expect(q.get('prompt')).toBe('login');
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const state = q.get('state')!;
    const { rows } = await t.sql.query('SELECT state_hash, return_to, expires_at - created_at AS ttl FROM citizen_flow');
    const mine = rows.find((r) => r.state_hash === createHash('sha256').update(state).digest('base64url'));
    expect(mine).toMatchObject({ return_to: '/citizen/consents' });
    expect(rows.some((r) => JSON.stringify(r).includes(state))).toBe(false);
  });

  it('signs the citizen in: a citizen token for the session, the assertion hash and txn kept, audited without the number', async () => {
    const params = await authorize('elin', '/citizen/requests');
    const res = await callback(params);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toEqual({ accessToken: expect.any(String), expiresIn: 1800, returnTo: '/citizen/requests' });
    const { rows } = await t.sql.query(
      'SELECT id, personal_identity_number, acr, assertion_sha256, transaction_ref, expires_at - authenticated_at AS life, ended_at FROM citizen_session',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ personal_identity_number: MINOR, acr: LOA3, transaction_ref: 'txn-elin-1', ended_at: null });
    expect(rows[0].assertion_sha256).toMatch(/^[0-9a-f]{64}$/);
    // The token lives exactly as long as the session: sessionMinutes, no refresh.
    const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ typ: 'citizen', sid: rows[0].id, aud: 'samverka-api/citizen' });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(1800);
    expect(JSON.stringify(claims)).not.toContain(MINOR);
    expect(await lastSignIn()).toMatchObject({ outcome: 'allowed', actor_role: 'citizen' });
    const audit = await t.sql.query("SELECT * FROM audit_queue WHERE action LIKE 'citizen.%'");
    expect(JSON.stringify(audit.rows)).not.toContain(MINOR);

    const me = await t.app.inject({ url: '/api/citizen/me', headers: bearer(body.accessToken) });
    expect(me.statusCode).toBe(200);
    const exp = Date.parse(me.json().sessionExpiresAt) - Date.now();
    expect(exp).toBeGreaterThan(29 * 60_000);
    expect(exp).toBeLessThanOrEqual(30 * 60_000);
  });

  it('uses the assertion hash as the transaction reference when the token has neither txn nor jti', async () => {
    const res = await callback(await authorize('anna'));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().returnTo).toBeNull();
    const { rows } = await t.sql.query(
      'SELECT assertion_sha256, transaction_ref FROM citizen_session WHERE personal_identity_number = $1',
      [ADULT_PIN],
    );
    expect(rows[0].transaction_ref).toBe(rows[0].assertion_sha256.slice(0, 32));
  });

  it('ignores a returnTo outside the citizen pages', async () => {
    for (const bad of ['https://evil.example/citizen', '//evil.example', '/cases/1', '/citizen/../admin', '/citizenx']) {
      await start(bad);
      const { rows } = await t.sql.query('SELECT return_to FROM citizen_flow ORDER BY created_at DESC LIMIT 1');
      expect(rows[0].return_to, bad).toBeNull();
    }
  });

  it('refuses unknown, replayed and expired state', async () => {
    await expectRefused('state=made-up&code=abc', 400, 'sign_in_expired', 'unknown_state');
    const params = await authorize('elin');
    expect((await callback(params)).statusCode).toBe(200);
    await expectRefused(params, 400, 'sign_in_expired', 'unknown_state');
    const late = await authorize('elin');
    await t.sql.query("UPDATE citizen_flow SET expires_at = now() - interval '1 second'");
    await expectRefused(late, 400, 'sign_in_expired', 'unknown_state');
    expect((await callback('code=abc')).statusCode).toBe(400);
  });

  it('refuses an ID token with the wrong nonce, a forged signature, another issuer or past its expiry', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [
      string,
      (c: Record<string, unknown>) => Record<string, unknown>,
      { signedBy?: OidcTestProvider; keyId?: string },
      string,
    ][] = [
      ['wrong nonce', (c) => ({ ...c, nonce: 'another-flows-nonce' }), {}, 'oauth_jwt_claim_comparison_failed'],
      ['forged signature', (c) => c, { signedBy: other, keyId: eid.keyId }, 'oauth_invalid_response'],
      ['unknown key', (c) => c, { signedBy: other }, 'oauth_key_selection_failed'],
      ['another issuer', (c) => ({ ...c, iss: other.issuer }), { signedBy: other }, 'oauth_jwt_claim_comparison_failed'],
      ['expired', (c) => ({ ...c, iat: now - 7200, exp: now - 3600 }), {}, 'oauth_jwt_timestamp_check_failed'],
    ];
    for (const [what, alter, signer, reason] of cases) {
      const params = await authorize('elin');
      eid.alterNextIdToken(alter, signer);
      await expectRefused(params, 401, 'provider_response_invalid', reason).catch((e: Error) => {
        throw new Error(`${what}: ${e.message}`);
      });
    }
  });

  it('refuses a sign-in below the required level of assurance', async () => {
    await expectRefused(await authorize('weak'), 403, 'acr_too_low', 'acr_too_low');
    const res = await callback(await authorize('weak'));
    expect(res.json().detail).toContain('BankID');
  });

  it('refuses a missing, malformed or wrong-check-digit personnummer claim', async () => {
    await expectRefused(await authorize('nopin'), 401, 'provider_response_invalid', 'personal_identity_number_invalid');
    await expectRefused(await authorize('badpin'), 401, 'provider_response_invalid', 'personal_identity_number_invalid');
    await expectRefused(await authorize('shortpin'), 401, 'provider_response_invalid', 'personal_identity_number_invalid');
    const params = await authorize('elin');
    eid.alterNextIdToken((c) => ({ ...c, personal_identity_number: 201103142380 }));
    await expectRefused(params, 401, 'provider_response_invalid', 'personal_identity_number_invalid');
  });

  it('refuses a provider error answer', async () => {
    const refused = await start();
    const error = new URLSearchParams({ state: refused.searchParams.get('state')!, error: 'access_denied', iss: eid.issuer });
    await expectRefused(error, 401, 'provider_refused', 'provider_refused');
  });

  it('signs out: the token is refused from the next request, audited', async () => {
    const { accessToken } = (await callback(await authorize('elin'))).json();
    expect((await t.app.inject({ url: '/api/citizen/me', headers: bearer(accessToken) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/citizen/auth/logout' })).statusCode).toBe(401);
    const out = await t.app.inject({ method: 'POST', url: '/api/citizen/auth/logout', headers: bearer(accessToken) });
    expect(out.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/citizen/me', headers: bearer(accessToken) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/api/citizen/auth/logout', headers: bearer(accessToken) })).statusCode).toBe(401);
    const { rows } = await t.sql.query(
      "SELECT count(*)::int AS n FROM audit_queue WHERE action = 'citizen.sign_out' AND outcome = 'allowed'",
    );
    expect(rows[0].n).toBe(1);
  });

  it('keeps staff and citizen tokens apart', async () => {
    const staff = await login(t.app, 'social');
    expect((await t.app.inject({ url: '/api/citizen/me', headers: bearer(staff) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/api/citizen/auth/logout', headers: bearer(staff) })).statusCode).toBe(401);
    const { accessToken } = (await callback(await authorize('elin'))).json();
    expect((await t.app.inject({ url: '/api/cases', headers: bearer(accessToken) })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/me', headers: bearer(accessToken) })).statusCode).toBe(401);
  });

  it('answers 404 citizen_sign_in_not_configured without a provider, within the sign-in rate limit', async () => {
    const bare = await createTestApp({ RATE_LIMIT_LOGIN_PER_MINUTE: '2' }, { seed: false });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await bare.app.inject({ url: '/api/citizen/auth/start' });
        expect(res.statusCode).toBe(404);
        expect(res.json().type).toBe('urn:samverka:problem:citizen_sign_in_not_configured');
      }
      const limited = await bare.app.inject({ url: '/api/citizen/auth/callback?state=x' });
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['retry-after']).toBeDefined();
    } finally {
      await bare.close();
    }
  });
});

describe('citizen sign-in configuration', () => {
  it('takes the client secret only as a reference, and needs a client id with an issuer', () => {
    const base = { CITIZEN_OIDC_ISSUER: 'https://eid.example', CITIZEN_OIDC_CLIENT_ID: 'samverka' };
    expect(loadConfig({ ...base, CITIZEN_OIDC_CLIENT_SECRET: 'env:CITIZEN_SECRET' }).CITIZEN_OIDC_CLIENT_SECRET).toBe('env:CITIZEN_SECRET');
    expect(loadConfig({ ...base, CITIZEN_OIDC_CLIENT_SECRET: 'file:citizen.secret' }).CITIZEN_OIDC_CLIENT_SECRET).toBe(
      'file:citizen.secret',
    );
    expect(() => loadConfig({ ...base, CITIZEN_OIDC_CLIENT_SECRET: 'the-secret-itself' })).toThrow(ConfigError);
    expect(() => loadConfig({ CITIZEN_OIDC_ISSUER: 'https://eid.example' })).toThrow(/CITIZEN_OIDC_CLIENT_ID/);
    const defaults = loadConfig({});
    expect(defaults.CITIZEN_OIDC_ISSUER).toBeUndefined();
    expect(defaults).toMatchObject({
      CITIZEN_OIDC_PIN_CLAIM: 'personal_identity_number',
      CITIZEN_OIDC_ACR: 'http://id.elegnamnden.se/loa/1.0/loa3',
      CITIZEN_OIDC_TXN_CLAIM: 'txn',
    });
  });
});
