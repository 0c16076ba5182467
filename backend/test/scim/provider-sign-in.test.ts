/**
 * The whole provisioning loop against a real OpenID provider (oidc-provider, started here): a
 * user the agency's directory creates through SCIM signs in at the agency's provider and gets a
 * Samverka session with the role Samverka gives; when the directory deactivates them, that
 * session ends at once and the provider's sign-in is refused.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCIM } from '../../src/modules/scim/scim.schemas.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { signInAtProvider, startOidcProvider, type OidcTestProvider } from '../helpers/oidc-provider.js';

const SECRET_ENV = 'SAMVERKA_TEST_SCIM_OIDC_SECRET';
const LOA3 = 'http://id.elegnamnden.se/loa/1.0/loa3';
const UPN = 'Lina.Strom@Polisen.example';

describe('a user provisioned by SCIM', () => {
  let t: TestContext;
  let provider: OidcTestProvider;
  let policeAgency: string;
  let scimToken: string;

  const scim = (method: 'POST' | 'PATCH', url: string, payload: unknown) =>
    t.app.inject({
      method,
      url: `/scim/v2${url}`,
      headers: { ...bearer(scimToken), 'content-type': 'application/scim+json' },
      payload: JSON.stringify(payload),
    });

  /** The provider's sign-in, brought back to Samverka's callback. */
  async function signIn(): Promise<{ statusCode: number; body: { accessToken?: string; user?: { id: string; roles: string[] } } }> {
    const start = await t.app.inject({ url: `/api/auth/oidc/${policeAgency}/start` });
    expect(start.statusCode, start.body).toBe(302);
    const back = await signInAtProvider(String(start.headers.location), 'lina', 'rätt-lösen');
    const res = await t.app.inject({ url: `/api/auth/oidc/callback?${back.searchParams.toString()}` });
    return { statusCode: res.statusCode, body: res.json() };
  }

  beforeAll(async () => {
    t = await createTestApp();
    const secret = randomBytes(24).toString('hex');
    provider = await startOidcProvider({
      name: 'Polisen',
      clients: [{ clientId: 'samverka-police', clientSecret: secret, redirectUris: [`${t.config.ORIGIN}/login/oidc/callback`] }],
      // The directory knows the user by their UPN; the provider sends it as a claim beside its own opaque sub.
      accounts: [{ login: 'lina', password: 'rätt-lösen', sub: 'opaque-91c2', acr: LOA3, claims: { email: UPN } }],
    });
    process.env[SECRET_ENV] = secret;
    policeAgency = (await t.sql.query<{ id: string }>("SELECT id FROM agency WHERE kind = 'police'")).rows[0]!.id;
    await t.sql.query(
      `INSERT INTO agency_idp (agency_id, issuer, client_id, client_secret_ref, scopes, subject_claim, acr_values)
       VALUES ($1, $2, 'samverka-police', $3, '{openid,email}', 'email', '{}')`,
      [policeAgency, provider.issuer, `env:${SECRET_ENV}`],
    );
    const admin = await login(t.app, 'admin');
    const created = await t.app.inject({ method: 'POST', url: `/api/admin/agencies/${policeAgency}/scim-tokens`, headers: bearer(admin) });
    scimToken = created.json().token;
  });
  afterAll(async () => {
    delete process.env[SECRET_ENV];
    await provider?.close();
    await t?.close();
  });

  it('cannot sign in before the directory creates them', async () => {
    const res = await signIn();
    expect(res.statusCode).toBe(403);
  });

  it('signs in at the agency’s provider once created, as partner; deactivation ends the session at once', async () => {
    const created = await scim('POST', '/Users', {
      schemas: [SCIM.user],
      userName: UPN,
      name: { givenName: 'Lina', familyName: 'Ström' },
      active: true,
    });
    expect(created.statusCode, created.body).toBe(201);
    const id: string = created.json().id;

    const signedIn = await signIn();
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.body.user).toMatchObject({ id, roles: ['partner'] });
    const session = bearer(signedIn.body.accessToken!);
    expect((await t.app.inject({ url: '/api/me', headers: session })).statusCode).toBe(200);

    const off = await scim('PATCH', `/Users/${id}`, {
      schemas: [SCIM.patch],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(off.statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/me', headers: session })).statusCode).toBe(401);
    expect((await signIn()).statusCode).toBe(403);
  });
});
