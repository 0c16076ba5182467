import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { agencyIdOfKind, call } from './helpers.js';

const provider = {
  issuer: 'https://login.polisen.example',
  clientId: 'samverka',
  clientSecretRef: 'env:POLICE_OIDC_SECRET',
  scopes: ['openid', 'profile'],
  subjectClaim: 'sub',
  acrValues: ['http://id.elegnamnden.se/loa/1.0/loa3'],
};

describe('admin: agencies', () => {
  let t: TestContext;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await login(t.app, 'admin');
  });
  afterAll(async () => t.close());

  it('edits name, kind, areas, local sign-in and the provider (by secret reference), logged before and after', async () => {
    const id = await agencyIdOfKind(t, 'police');
    const areasBefore = (await t.sql.query('SELECT areas FROM agency WHERE id = $1', [id])).rows[0].areas;
    const res = await call(t, admin, 'PATCH', `/api/admin/agencies/${id}`, {
      name: 'Polisen – LPO Borås',
      areas: ['Norrby', 'Hässleholmen'],
      localSignIn: false,
      identityProvider: provider,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Polisen – LPO Borås',
      kind: 'police',
      areas: ['Norrby', 'Hässleholmen'],
      localSignIn: false,
      active: true,
      identityProvider: provider,
    });
    const got = (await call(t, admin, 'GET', `/api/admin/agencies/${id}`)).json();
    expect(got).toMatchObject({ identityProvider: provider });
    const change = (
      await t.sql.query("SELECT before, after FROM admin_change WHERE resource_id = $1 AND action = 'admin.agency.update'", [id])
    ).rows[0];
    expect(change.before).toMatchObject({
      areas: areasBefore,
      localSignIn: true,
      identityProvider: null,
    });
    expect(change.after).toMatchObject({
      areas: ['Norrby', 'Hässleholmen'],
      identityProvider: { clientSecretRef: 'env:POLICE_OIDC_SECRET' },
    });
    // Without a provider, some way to sign in must remain.
    expect((await call(t, admin, 'PATCH', `/api/admin/agencies/${id}`, { identityProvider: null })).statusCode).toBe(400);
    const back = await call(t, admin, 'PATCH', `/api/admin/agencies/${id}`, { identityProvider: null, localSignIn: true });
    expect(back.json()).toMatchObject({ identityProvider: null, localSignIn: true });
  });

  it('offers the areas of policies/areas.yaml and the roles that need a second admin', async () => {
    const res = await call(t, admin, 'GET', '/api/admin/options');
    expect(res.json()).toMatchObject({ privilegedRoles: ['social_worker', 'auditor', 'admin'] });
    expect((res.json() as { areas: string[] }).areas).toContain('Norrby');
  });

  it('refuses a secret value, unknown areas and malformed settings (400), changing nothing', async () => {
    const id = await agencyIdOfKind(t, 'school');
    const areasBefore = (await t.sql.query('SELECT areas FROM agency WHERE id = $1', [id])).rows[0].areas;
    const bad = [
      { identityProvider: { ...provider, clientSecretRef: 's3cr3t-value-of-the-client' } },
      { identityProvider: { ...provider, clientSecret: 'x' } },
      { identityProvider: { ...provider, issuer: 'ftp://idp' } },
      { identityProvider: { ...provider, scopes: ['profile'] } },
      { areas: ['Atlantis'] },
      { kind: 'army' },
      { name: '' },
      {},
    ];
    for (const payload of bad) {
      const r = await call(t, admin, 'PATCH', `/api/admin/agencies/${id}`, payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.body).not.toContain('s3cr3t');
    }
    const unknownArea = await call(t, admin, 'PATCH', `/api/admin/agencies/${id}`, { areas: ['Norrby', 'Atlantis'] });
    expect(unknownArea.json()).toMatchObject({ errors: [{ path: '/areas/1' }] });
    expect((await t.sql.query('SELECT count(*)::int AS n FROM agency_idp WHERE agency_id = $1', [id])).rows[0].n).toBe(0);
    expect((await t.sql.query('SELECT areas FROM agency WHERE id = $1', [id])).rows[0].areas).toEqual(areasBefore);
    expect((await call(t, admin, 'PATCH', '/api/admin/agencies/00000000-0000-4000-8000-000000000000', { name: 'X' })).statusCode).toBe(404);
    const other = await agencyIdOfKind(t, 'leisure');
    const otherName = (await t.sql.query('SELECT name FROM agency WHERE id = $1', [other])).rows[0].name;
    expect((await call(t, admin, 'PATCH', `/api/admin/agencies/${id}`, { name: otherName.toUpperCase() })).statusCode).toBe(409);
  });

  it('deactivating an agency ends its users’ sessions at once; reactivating restores it; never the admin’s own', async () => {
    const id = await agencyIdOfKind(t, 'leisure');
    const token = await login(t.app, 'leisure');
    const res = await call(t, admin, 'POST', `/api/admin/agencies/${id}/deactivate`);
    expect(res.json()).toMatchObject({ active: false });
    expect((await t.app.inject({ url: '/api/me', headers: bearer(token) })).statusCode).toBe(401);
    expect((await call(t, admin, 'POST', `/api/admin/agencies/${id}/reactivate`)).json()).toMatchObject({ active: true });
    const own = await agencyIdOfKind(t, 'other');
    expect((await call(t, admin, 'POST', `/api/admin/agencies/${own}/deactivate`)).statusCode).toBe(400);
    expect((await call(t, admin, 'POST', '/api/admin/agencies/00000000-0000-4000-8000-000000000000/deactivate')).statusCode).toBe(404);
  });
});
