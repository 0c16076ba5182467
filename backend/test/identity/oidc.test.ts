import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestContext } from '../helpers/app.js';
import { signInAtProvider, startOidcProvider, type OidcTestProvider } from '../helpers/oidc-provider.js';

const LOA3 = 'http://id.elegnamnden.se/loa/1.0/loa3';
const LOA4 = 'http://id.elegnamnden.se/loa/1.0/loa4';
const LOA2 = 'http://id.elegnamnden.se/loa/1.0/loa2';
const SCHOOL_SECRET_ENV = 'SAMVERKA_TEST_SCHOOL_OIDC_SECRET';

describe('sign-in through the agency’s OpenID Connect provider', () => {
  let t: TestContext;
  let police: OidcTestProvider;
  let school: OidcTestProvider;
  const agency: Record<'police' | 'school' | 'social' | 'leisure', string> = { police: '', school: '', social: '', leisure: '' };
  const secretFile = `oidc-police-${randomBytes(4).toString('hex')}.secret`;

  beforeAll(async () => {
    t = await createTestApp();
    const redirectUris = [`${t.config.ORIGIN}/login/oidc/callback`];
    const policeSecret = randomBytes(24).toString('hex');
    const schoolSecret = randomBytes(24).toString('hex');
    police = await startOidcProvider({
      name: 'Polisen',
      clients: [{ clientId: 'samverka-police', clientSecret: policeSecret, redirectUris }],
      accounts: [
        { login: 'maria', password: 'rätt-lösen', sub: 'police-maria', acr: LOA3 },
        { login: 'weak', password: 'rätt-lösen', sub: 'police-weak', acr: LOA2 },
        { login: 'stranger', password: 'rätt-lösen', sub: 'police-stranger', acr: LOA4 },
        { login: 'former', password: 'rätt-lösen', sub: 'police-former', acr: LOA3 },
      ],
    });
    school = await startOidcProvider({
      name: 'Engelbrektskolan',
      clients: [{ clientId: 'samverka-school', clientSecret: schoolSecret, redirectUris }],
      accounts: [{ login: 'johan', password: 'skol-lösen', sub: 'opaque-7f3a', acr: LOA3, claims: { email: 'johan.ek@skola.example' } }],
    });
    fs.writeFileSync(path.join(t.config.KEYS_DIR, secretFile), `${policeSecret}\n`, { mode: 0o600 });
    process.env[SCHOOL_SECRET_ENV] = schoolSecret;

    const { rows } = await t.sql.query<{ id: string; kind: string }>('SELECT id, kind FROM agency');
    for (const r of rows) {
      if (r.kind === 'police') agency.police = r.id;
      if (r.kind === 'school') agency.school = r.id;
      if (r.kind === 'social_services') agency.social = r.id;
      if (r.kind === 'leisure') agency.leisure = r.id;
    }
    await t.sql.query(
      `INSERT INTO agency_idp (agency_id, issuer, client_id, client_secret_ref, scopes, subject_claim, acr_values)
       VALUES ($1, $2, 'samverka-police', $3, '{openid}', 'sub', $4), ($5, $6, 'samverka-school', $7, '{openid,email}', 'email', '{}')`,
      [agency.police, police.issuer, `file:${secretFile}`, [LOA3, LOA4], agency.school, school.issuer, `env:${SCHOOL_SECRET_ENV}`],
    );
    await t.sql.query("UPDATE app_user SET oidc_subject = 'police-maria' WHERE username = 'police'");
    await t.sql.query("UPDATE app_user SET oidc_subject = 'johan.ek@skola.example' WHERE username = 'school'");
    // A colleague who has left: the account is kept (deactivated), its provider identity still works.
    await t.sql.query(
      `INSERT INTO app_user (id, username, display_name, agency_id, roles, active, deactivated_at, oidc_subject)
       VALUES ($1, 'former.police', 'Tidigare Polis', $2, '{partner}', false, now(), 'police-former')`,
      [randomUUID(), agency.police],
    );
  });
  afterAll(async () => {
    delete process.env[SCHOOL_SECRET_ENV];
    fs.rmSync(path.join(t.config.KEYS_DIR, secretFile), { force: true });
    await Promise.all([police?.close(), school?.close()]);
    await t.close();
  });

  const start = async (agencyId: string): Promise<URL> => {
    const res = await t.app.inject({ url: `/api/auth/oidc/${agencyId}/start` });
    expect(res.statusCode, res.body).toBe(302);
    return new URL(String(res.headers.location));
  };
  const callback = (query: URLSearchParams | string) => t.app.inject({ url: `/api/auth/oidc/callback?${String(query)}` });
  /** Start, sign in at the provider, and return the authorization response the browser would bring back. */
  const authorize = async (agencyId: string, login: string, password = 'rätt-lösen'): Promise<URLSearchParams> => {
    const back = await signInAtProvider((await start(agencyId)).href, login, password);
    expect(`${back.origin}${back.pathname}`).toBe(`${t.config.ORIGIN}/login/oidc/callback`);
    return back.searchParams;
  };
  const sessionCount = async (): Promise<number> => Number((await t.sql.query('SELECT count(*) AS n FROM user_session')).rows[0].n);
  const lastDenial = async (): Promise<{ reason: string; actor_id: string | null }> =>
    (
      await t.sql.query(
        "SELECT reason, actor_id FROM audit_queue WHERE action = 'auth.login' AND outcome = 'denied' ORDER BY occurred_at DESC, event_id DESC LIMIT 1",
      )
    ).rows[0];

  /** A refused callback: the status and problem code, no new session, the denial audited with `reason`. */
  async function expectRefused(query: URLSearchParams | string, status: number, code: string, reason: string): Promise<void> {
    const before = await sessionCount();
    const res = await callback(query);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().type).toBe(`urn:samverka:problem:${code}`);
    expect(await sessionCount()).toBe(before);
    expect((await lastDenial()).reason).toBe(reason);
  }

  it('lists the organisations with a provider, for everyone', async () => {
    const res = await t.app.inject({ url: '/api/auth/providers' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      providers: [
        { agencyId: agency.school, name: 'Engelbrektskolan' },
        { agencyId: agency.police, name: 'Polisen – Lokalpolisområde Borås' },
      ],
      localSignIn: true,
    });
    // Once every agency signs in through a provider, the page offers no password form.
    await t.sql.query('UPDATE agency SET local_sign_in = false');
    try {
      expect((await t.app.inject({ url: '/api/auth/providers' })).json().localSignIn).toBe(false);
    } finally {
      await t.sql.query('UPDATE agency SET local_sign_in = true');
    }
  });

  it('sends the browser to the provider with PKCE, state, nonce and the required acr, and keeps only a hash of state', async () => {
    const url = await start(agency.police);
    expect(url.origin).toBe(police.issuer);
    const q = url.searchParams;
    expect(q.get('client_id')).toBe('samverka-police');
    expect(q.get('response_type')).toBe('code');
    expect(q.get('redirect_uri')).toBe(`${t.config.ORIGIN}/login/oidc/callback`);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(q.get('acr_values')).toBe(`${LOA3} ${LOA4}`);
    const { rows } = await t.sql.query('SELECT state_hash FROM oidc_flow');
    expect(rows.map((r) => r.state_hash)).not.toContain(q.get('state'));
    const audit = await t.sql.query(
      "SELECT outcome, resource_id FROM audit_queue WHERE action = 'auth.oidc.start' ORDER BY occurred_at DESC, event_id DESC LIMIT 1",
    );
    expect(audit.rows[0]).toEqual({ outcome: 'allowed', resource_id: agency.police });
  });

  it('signs the police user in: the same server-side session as a local sign-in, roles from Samverka', async () => {
    const before = await sessionCount();
    const res = await callback(await authorize(agency.police, 'maria'));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresIn', 'mustChangePassword', 'user']);
    expect(body.mustChangePassword).toBe(false);
    expect(body.user).toMatchObject({ username: 'police', agencyId: agency.police, roles: ['partner'] });
    expect(await sessionCount()).toBe(before + 1);
    const me = await t.app.inject({ url: '/api/me', headers: bearer(body.accessToken) });
    expect(me.statusCode).toBe(200);
    expect(me.json().username).toBe('police');
    const audit = await t.sql.query(
      "SELECT actor_id, reason FROM audit_queue WHERE action = 'auth.login' AND outcome = 'allowed' ORDER BY occurred_at DESC, event_id DESC LIMIT 1",
    );
    expect(audit.rows[0]).toEqual({ actor_id: body.user.id, reason: 'oidc' });
    // Revocable like any session: signing out ends it.
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(body.accessToken) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/me', headers: bearer(body.accessToken) })).statusCode).toBe(401);
  });

  it('signs the school user in by another claim (email, from userinfo) at another provider with a secret from the environment', async () => {
    const res = await callback(await authorize(agency.school, 'johan', 'skol-lösen'));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user).toMatchObject({ username: 'school', agencyId: agency.school });
  });

  it('refuses an unknown provider or agency with 404, a malformed id with 400, and audits it', async () => {
    for (const id of [randomUUID(), agency.social]) {
      const res = await t.app.inject({ url: `/api/auth/oidc/${id}/start` });
      expect(res.statusCode).toBe(404);
      expect(res.json().type).toBe('urn:samverka:problem:provider_not_found');
      const audit = await t.sql.query(
        "SELECT outcome, reason FROM audit_queue WHERE action = 'auth.oidc.start' AND resource_id = $1 ORDER BY occurred_at DESC LIMIT 1",
        [id],
      );
      expect(audit.rows[0]).toEqual({ outcome: 'denied', reason: 'unknown_provider' });
    }
    expect((await t.app.inject({ url: '/api/auth/oidc/not-a-uuid/start' })).statusCode).toBe(400);
  });

  it('refuses a deactivated agency’s provider', async () => {
    await t.sql.query('UPDATE agency SET active = false WHERE id = $1', [agency.school]);
    try {
      expect((await t.app.inject({ url: `/api/auth/oidc/${agency.school}/start` })).statusCode).toBe(404);
    } finally {
      await t.sql.query('UPDATE agency SET active = true WHERE id = $1', [agency.school]);
    }
  });

  it('answers 502 when the provider cannot be reached or its secret is missing, and audits it', async () => {
    await t.sql.query(
      `INSERT INTO agency_idp (agency_id, issuer, client_id, client_secret_ref) VALUES ($1, 'http://127.0.0.1:9', 'samverka-leisure', NULL)`,
      [agency.leisure],
    );
    const res = await t.app.inject({ url: `/api/auth/oidc/${agency.leisure}/start` });
    expect(res.statusCode).toBe(502);
    expect(res.json().type).toBe('urn:samverka:problem:provider_unavailable');
    await t.sql.query(
      `UPDATE agency_idp SET issuer = $2, client_secret_ref = 'env:SAMVERKA_TEST_NO_SUCH_SECRET', updated_at = now() WHERE agency_id = $1`,
      [agency.leisure, police.issuer],
    );
    expect((await t.app.inject({ url: `/api/auth/oidc/${agency.leisure}/start` })).statusCode).toBe(502);
    const audit = await t.sql.query(
      "SELECT reason FROM audit_queue WHERE action = 'auth.oidc.start' AND resource_id = $1 AND outcome = 'denied' ORDER BY occurred_at",
      [agency.leisure],
    );
    expect(audit.rows.map((r) => r.reason)).toEqual(['oidc_discovery_failed', 'oidc_secret_missing']);
    await t.sql.query('DELETE FROM agency_idp WHERE agency_id = $1', [agency.leisure]);
  });

  it('refuses a callback without state with 400, and an unknown state as expired', async () => {
    expect((await callback('code=abc')).statusCode).toBe(400);
    await expectRefused('state=made-up&code=abc', 400, 'sign_in_expired', 'oidc_unknown_state');
  });

  it('refuses a replayed state', async () => {
    const params = await authorize(agency.police, 'maria');
    expect((await callback(params)).statusCode).toBe(200);
    await expectRefused(params, 400, 'sign_in_expired', 'oidc_unknown_state');
  });

  it('refuses a state past its lifetime', async () => {
    const params = await authorize(agency.police, 'maria');
    await t.sql.query("UPDATE oidc_flow SET expires_at = now() - interval '1 second'");
    await expectRefused(params, 400, 'sign_in_expired', 'oidc_unknown_state');
  });

  it('refuses tampered callback parameters', async () => {
    const tamperedCode = await authorize(agency.police, 'maria');
    tamperedCode.set('code', `${tamperedCode.get('code')}x`);
    await expectRefused(tamperedCode, 401, 'provider_response_invalid', 'oidc_token_error');

    const otherIssuer = await authorize(agency.police, 'maria');
    otherIssuer.set('iss', school.issuer);
    await expectRefused(otherIssuer, 401, 'provider_response_invalid', 'oidc_oauth_invalid_response');

    // A code obtained in one flow, brought back with another flow's state: PKCE does not match.
    const mine = await authorize(agency.police, 'maria');
    const theirs = await authorize(agency.police, 'maria');
    mine.set('code', theirs.get('code')!);
    await expectRefused(mine, 401, 'provider_response_invalid', 'oidc_token_error');

    const refused = await start(agency.police);
    const error = new URLSearchParams({ state: refused.searchParams.get('state')!, error: 'access_denied', iss: police.issuer });
    await expectRefused(error, 401, 'provider_refused', 'oidc_provider_refused');
  });

  it('refuses an ID token with the wrong nonce, audience, issuer, signature or expiry', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [
      string,
      (c: Record<string, unknown>) => Record<string, unknown>,
      { signedBy?: OidcTestProvider; keyId?: string },
      string,
    ][] = [
      ['wrong nonce', (c) => ({ ...c, nonce: 'another-flows-nonce' }), {}, 'oidc_oauth_jwt_claim_comparison_failed'],
      ['wrong audience', (c) => ({ ...c, aud: 'samverka-school' }), {}, 'oidc_oauth_jwt_claim_comparison_failed'],
      ['another issuer', (c) => ({ ...c, iss: school.issuer }), { signedBy: school }, 'oidc_oauth_jwt_claim_comparison_failed'],
      ['expired', (c) => ({ ...c, iat: now - 7200, exp: now - 3600 }), {}, 'oidc_oauth_jwt_timestamp_check_failed'],
      // The right claims, signed with a key the police provider does not publish …
      ['unknown key', (c) => c, { signedBy: school }, 'oidc_oauth_key_selection_failed'],
      // … or with another key under the police key's id: a forged signature.
      ['forged signature', (c) => c, { signedBy: school, keyId: police.keyId }, 'oidc_oauth_invalid_response'],
    ];
    for (const [what, alter, signer, reason] of cases) {
      const params = await authorize(agency.police, 'maria');
      police.alterNextIdToken(alter, signer);
      await expectRefused(params, 401, 'provider_response_invalid', reason).catch((e: Error) => {
        throw new Error(`${what}: ${e.message}`);
      });
    }
  });

  it('refuses an authentication below the agency’s acr with a clear message', async () => {
    const params = await authorize(agency.police, 'weak');
    const before = await sessionCount();
    const res = await callback(params);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ type: 'urn:samverka:problem:acr_too_low', title: 'Stronger sign-in needed' });
    expect(res.json().detail).toContain('BankID');
    expect(await sessionCount()).toBe(before);
    // Attributed to nobody: the weak identity is not linked to any Samverka user.
    expect(await lastDenial()).toEqual({ reason: 'oidc_acr_too_low', actor_id: null });
  });

  it('refuses a strong sign-in that is linked to no account, or to a deactivated one, and creates nothing', async () => {
    const users = async (): Promise<number> => Number((await t.sql.query('SELECT count(*) AS n FROM app_user')).rows[0].n);
    const before = await users();
    await expectRefused(await authorize(agency.police, 'stranger'), 403, 'no_account', 'oidc_unknown_subject');
    await expectRefused(await authorize(agency.police, 'former'), 403, 'no_account', 'oidc_account_inactive');
    expect((await lastDenial()).actor_id).not.toBeNull();
    expect(await users()).toBe(before);
  });

  it('refuses a too-low acr for a linked account, attributed to that account', async () => {
    await t.sql.query("UPDATE app_user SET oidc_subject = 'police-weak' WHERE username = 'police'");
    try {
      await expectRefused(await authorize(agency.police, 'weak'), 403, 'acr_too_low', 'oidc_acr_too_low');
      const { rows } = await t.sql.query("SELECT id FROM app_user WHERE username = 'police'");
      expect((await lastDenial()).actor_id).toBe(rows[0].id);
    } finally {
      await t.sql.query("UPDATE app_user SET oidc_subject = 'police-maria' WHERE username = 'police'");
    }
  });
});
