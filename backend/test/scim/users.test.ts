/**
 * SCIM 2.0 /scim/v2/Users for an agency's directory (RFC 7643/7644), against the real app and
 * PostgreSQL: bearer tokens per agency, scoped to that agency; create, read, filter and page,
 * replace, patch, delete (deactivate, the row kept); deactivation ends sessions at once;
 * everything audited with the token as the actor.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCIM } from '../../src/modules/scim/scim.schemas.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';

let t: TestContext;
let admin: string;
const agency: Record<string, string> = {};
const token: Record<string, string> = {};
const tokenId: Record<string, string> = {};

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const scimJson = { 'content-type': 'application/scim+json' };

async function scim(
  who: string | null,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url: `/scim/v2${url}`,
    headers: { ...(who ? bearer(token[who] ?? who) : {}), ...(payload !== undefined ? scimJson : {}) },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
}

const newUser = (userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  schemas: [USER],
  userName,
  name: { givenName: 'Anna', familyName: 'Öberg' },
  emails: [{ value: 'anna.oberg@polisen.example', type: 'work', primary: true }],
  active: true,
  ...extra,
});

async function auditRows(action: string): Promise<
  {
    actor_id: string | null;
    actor_agency_id: string | null;
    actor_role: string | null;
    outcome: string;
    reason: string | null;
    resource_id: string | null;
  }[]
> {
  const { rows } = await t.sql.query(
    'SELECT actor_id, actor_agency_id, actor_role, outcome, reason, resource_id FROM audit_queue WHERE action = $1 ORDER BY id',
    [action],
  );
  return rows;
}

const userCount = async (): Promise<number> => (await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM app_user')).rows[0]!.n;

beforeAll(async () => {
  t = await createTestApp();
  admin = await login(t.app, 'admin');
  const { rows } = await t.sql.query<{ id: string; kind: string }>(
    "SELECT id, kind FROM agency WHERE kind IN ('police', 'school', 'social_services')",
  );
  for (const r of rows) agency[r.kind === 'social_services' ? 'social' : r.kind] = r.id;
  for (const a of ['police', 'school']) {
    const res = await t.app.inject({ method: 'POST', url: `/api/admin/agencies/${agency[a]}/scim-tokens`, headers: bearer(admin) });
    expect(res.statusCode).toBe(201);
    token[a] = res.json().token;
    tokenId[a] = res.json().id;
  }
});
afterAll(async () => t.close());

describe('SCIM tokens (admin)', () => {
  it('are created by an admin only: 401 without a session, 403 (audited) for others, 404 for an unknown agency', async () => {
    const url = `/api/admin/agencies/${agency.police}/scim-tokens`;
    expect((await t.app.inject({ method: 'POST', url })).statusCode).toBe(401);
    const social = await login(t.app, 'social');
    expect((await t.app.inject({ method: 'POST', url, headers: bearer(social) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url, headers: bearer(social) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${tokenId.police}`, headers: bearer(social) })).statusCode).toBe(403);
    const { rows } = await t.sql.query(
      "SELECT count(*)::int AS n FROM audit_queue WHERE action = 'admin.agencies.write' AND outcome = 'denied'",
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(2);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/admin/agencies/${unknown}/scim-tokens`, headers: bearer(admin) })).statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/admin/agencies/not-a-uuid/scim-tokens', headers: bearer(admin) })).statusCode,
    ).toBe(400);
  });

  it('are shown once and kept only as a hash; the list never shows them', async () => {
    const { rows } = await t.sql.query('SELECT token_hash FROM scim_token WHERE id = $1', [tokenId.police]);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].token_hash).not.toContain(token.police);
    const list = await t.app.inject({ method: 'GET', url: `/api/admin/agencies/${agency.police}/scim-tokens`, headers: bearer(admin) });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual([expect.objectContaining({ id: tokenId.police, agencyId: agency.police, revokedAt: null })]);
    expect(list.body).not.toContain(token.police!);
    expect(await auditRows('admin.scim_token.create')).toHaveLength(2);
  });

  it('revoked: the next request with it is refused (401), and revoking again changes nothing', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/admin/agencies/${agency.police}/scim-tokens`, headers: bearer(admin) });
    const { id, token: spare } = res.json();
    expect((await scim(spare, 'GET', '/Users')).statusCode).toBe(200);
    const url = `/api/admin/agencies/${agency.police}/scim-tokens/${id}`;
    expect((await t.app.inject({ method: 'DELETE', url, headers: bearer(admin) })).statusCode).toBe(204);
    expect((await scim(spare, 'GET', '/Users')).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url, headers: bearer(admin) })).statusCode).toBe(204);
    // Another agency's token id under this agency is not found.
    const other = `/api/admin/agencies/${agency.police}/scim-tokens/${tokenId.school}`;
    expect((await t.app.inject({ method: 'DELETE', url: other, headers: bearer(admin) })).statusCode).toBe(404);
    expect((await scim('school', 'GET', '/Users')).statusCode).toBe(200);
    expect(await auditRows('admin.scim_token.revoke')).toHaveLength(2);
  });
});

describe('SCIM authentication', () => {
  it('no token, a wrong token or a sign-in token → 401 as a SCIM error, audited', async () => {
    const before = (await auditRows('scim.authenticate')).length;
    const social = await login(t.app, 'social');
    for (const who of [null, 'scim_' + 'A'.repeat(43), social]) {
      const res = await scim(who, 'GET', '/Users');
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/scim+json');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="scim"');
      expect(res.json()).toMatchObject({ schemas: [SCIM.error], status: '401' });
    }
    expect((await scim(null, 'POST', '/Users', newUser('nobody'))).statusCode).toBe(401);
    const after = await auditRows('scim.authenticate');
    expect(after.length - before).toBe(4);
    expect(after.every((r) => r.outcome === 'denied')).toBe(true);
  });

  it('ServiceProviderConfig needs no token and says what is supported', async () => {
    const res = await scim(null, 'GET', '/ServiceProviderConfig');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/scim+json');
    expect(res.json()).toMatchObject({
      schemas: [SCIM.serviceProviderConfig],
      patch: { supported: true },
      filter: { supported: true, maxResults: 200 },
      bulk: { supported: false },
      authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken' })],
    });
  });
});

describe('SCIM users', () => {
  let annaId: string;

  it('POST creates a user of the token’s agency that can sign in through the provider (subject = userName), role partner', async () => {
    const res = await scim('police', 'POST', '/Users', newUser('Anna.Oberg@Polisen.example', { externalId: 'entra-1' }));
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toContain('application/scim+json');
    const body = res.json();
    annaId = body.id;
    expect(res.headers.location).toBe(`/scim/v2/Users/${annaId}`);
    expect(body).toMatchObject({
      schemas: [USER],
      userName: 'Anna.Oberg@Polisen.example',
      externalId: 'entra-1',
      displayName: 'Anna Öberg',
      name: { givenName: 'Anna', familyName: 'Öberg' },
      emails: [{ value: 'anna.oberg@polisen.example', type: 'work', primary: true }],
      active: true,
      meta: { resourceType: 'User' },
    });
    const { rows } = await t.sql.query(
      'SELECT username, oidc_subject, agency_id, roles, password_hash, active, external_id FROM app_user WHERE id = $1',
      [annaId],
    );
    expect(rows[0]).toEqual({
      username: 'anna.oberg.polisen.example',
      oidc_subject: 'Anna.Oberg@Polisen.example',
      agency_id: agency.police,
      roles: ['partner'],
      password_hash: null,
      active: true,
      external_id: 'entra-1',
    });
    expect(await auditRows('scim.user.create')).toEqual([
      expect.objectContaining({
        actor_id: tokenId.police,
        actor_agency_id: agency.police,
        actor_role: 'scim',
        outcome: 'allowed',
        resource_id: annaId,
      }),
    ]);
  });

  it('a second user with the same userName (any case) or externalId in the agency → 409 uniqueness', async () => {
    const n = await userCount();
    for (const body of [newUser('anna.oberg@polisen.example'), newUser('someone.else', { externalId: 'entra-1' })]) {
      const res = await scim('police', 'POST', '/Users', body);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ schemas: [SCIM.error], status: '409', scimType: 'uniqueness' });
    }
    expect(await userCount()).toBe(n);
  });

  it('the same userName in another agency is its own user (the product user name gets a suffix)', async () => {
    const res = await scim('school', 'POST', '/Users', newUser('anna.oberg@polisen.example'));
    expect(res.statusCode).toBe(201);
    const { rows } = await t.sql.query('SELECT username, agency_id FROM app_user WHERE id = $1', [res.json().id]);
    expect(rows[0]).toEqual({ username: 'anna.oberg.polisen.example-2', agency_id: agency.school });
  });

  it('malformed input → 400 SCIM error, audited, nothing changed; a body naming an agency is refused', async () => {
    const n = await userCount();
    const cases: [unknown, string][] = [
      ['{"schemas":', 'invalidSyntax'],
      [newUser('x.y', { agencyId: agency.school }), 'invalidValue'],
      [{ schemas: [USER] }, 'invalidValue'],
      [newUser('x.y', { schemas: ['urn:other'] }), 'invalidSyntax'],
      [newUser('x.y', { emails: [{ value: 'not an address' }] }), 'invalidValue'],
      [newUser('@'), 'invalidValue'],
    ];
    for (const [body, scimType] of cases) {
      const res = await scim('police', 'POST', '/Users', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/scim+json');
      expect(res.json()).toMatchObject({ schemas: [SCIM.error], status: '400', scimType });
    }
    expect(await userCount()).toBe(n);
    const denied = (await auditRows('scim.user.create')).filter((r) => r.outcome === 'denied');
    expect(denied.length).toBeGreaterThanOrEqual(4);
    expect(denied.filter((r) => r.actor_id === tokenId.police).length).toBeGreaterThanOrEqual(3);
  });

  it('GET /Users/:id; another agency’s token gets 404 for it, like an unknown id, audited', async () => {
    const own = await scim('police', 'GET', `/Users/${annaId}`);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: annaId, userName: 'Anna.Oberg@Polisen.example' });
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', newUser('taken.over')],
      ['PATCH', { schemas: [SCIM.patch], Operations: [{ op: 'replace', path: 'active', value: false }] }],
      ['DELETE', undefined],
    ] as const) {
      const res = await scim('school', method, `/Users/${annaId}`, body);
      expect(res.statusCode, method).toBe(404);
      expect(res.json()).toMatchObject({ schemas: [SCIM.error], status: '404' });
    }
    const unknown = await scim('school', 'GET', '/Users/00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().detail).toBe((await scim('school', 'GET', `/Users/${annaId}`)).json().detail);
    expect((await scim('school', 'GET', '/Users/not-an-id')).statusCode).toBe(404);
    const { rows } = await t.sql.query('SELECT active, display_name FROM app_user WHERE id = $1', [annaId]);
    expect(rows[0]).toEqual({ active: true, display_name: 'Anna Öberg' });
    const denied = (await auditRows('scim.user.read')).filter((r) => r.outcome === 'denied');
    expect(denied.some((r) => r.resource_id === annaId && r.actor_id === tokenId.school && r.reason === 'not_found')).toBe(true);
  });

  it('filters by userName (any case) and externalId, only within the agency; unsupported filter → 400 invalidFilter', async () => {
    const byName = await scim('police', 'GET', `/Users?filter=${encodeURIComponent('userName eq "ANNA.OBERG@polisen.example"')}`);
    expect(byName.statusCode).toBe(200);
    expect(byName.json()).toMatchObject({ schemas: [SCIM.list], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(byName.json().Resources[0].id).toBe(annaId);
    const byExternal = await scim('police', 'GET', `/Users?filter=${encodeURIComponent('externalId eq "entra-1"')}`);
    expect(byExternal.json().Resources.map((u: { id: string }) => u.id)).toEqual([annaId]);
    const local = await scim('police', 'GET', `/Users?filter=${encodeURIComponent('userName eq "police"')}`);
    expect(local.json()).toMatchObject({ totalResults: 1, Resources: [{ userName: 'police', active: true }] });
    const otherAgency = await scim('school', 'GET', `/Users?filter=${encodeURIComponent('externalId eq "entra-1"')}`);
    expect(otherAgency.json()).toMatchObject({ totalResults: 0, Resources: [] });
    const bad = await scim('police', 'GET', `/Users?filter=${encodeURIComponent('displayName co "Anna"')}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ status: '400', scimType: 'invalidFilter' });
  });

  it('pages with startIndex and count (1-based), never past the agency’s users', async () => {
    for (let i = 0; i < 4; i++) expect((await scim('police', 'POST', '/Users', newUser(`page.${i}@polisen.example`))).statusCode).toBe(201);
    const all = (await scim('police', 'GET', '/Users?count=200')).json();
    const { rows } = await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM app_user WHERE agency_id = $1', [agency.police]);
    expect(all.totalResults).toBe(rows[0]!.n);
    expect(all.Resources).toHaveLength(all.totalResults);
    const page = (await scim('police', 'GET', '/Users?startIndex=2&count=2')).json();
    expect(page).toMatchObject({ totalResults: all.totalResults, startIndex: 2, itemsPerPage: 2 });
    expect(page.Resources.map((u: { id: string }) => u.id)).toEqual(all.Resources.slice(1, 3).map((u: { id: string }) => u.id));
    const clamped = (await scim('police', 'GET', '/Users?startIndex=0&count=-5')).json();
    expect(clamped).toMatchObject({ startIndex: 1, itemsPerPage: 0, Resources: [] });
    const beyond = (await scim('police', 'GET', `/Users?startIndex=${all.totalResults + 1}`)).json();
    expect(beyond).toMatchObject({ totalResults: all.totalResults, itemsPerPage: 0 });
    expect((await auditRows('scim.user.list')).every((r) => r.actor_agency_id !== null)).toBe(true);
  });

  it('PUT replaces what SCIM sets: what is left out is cleared, active left out stays', async () => {
    const res = await scim('police', 'PUT', `/Users/${annaId}`, {
      schemas: [USER],
      userName: 'Anna.Oberg@Polisen.example',
      externalId: 'entra-1',
      displayName: 'Anna Ö.',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ displayName: 'Anna Ö.', active: true });
    expect(res.json().name).toBeUndefined();
    expect(res.json().emails).toBeUndefined();
    const [audit] = (await auditRows('scim.user.replace')).filter((r) => r.outcome === 'allowed');
    expect(audit).toMatchObject({ resource_id: annaId, reason: 'changed:name,displayName,emails', actor_id: tokenId.police });
  });

  it('PATCH changes name, e-mail, display name and externalId; a changed userName renames the product user name', async () => {
    const res = await scim('police', 'PATCH', `/Users/${annaId}`, {
      schemas: [SCIM.patch],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'anna.berg@polisen.example' },
        { op: 'Add', path: 'name.familyName', value: 'Berg' },
        { op: 'Replace', path: 'displayName', value: 'Anna Berg' },
        { op: 'Replace', path: 'userName', value: 'Anna.Berg@Polisen.example' },
        { op: 'Remove', path: 'externalId' },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      userName: 'Anna.Berg@Polisen.example',
      displayName: 'Anna Berg',
      name: { familyName: 'Berg' },
      emails: [{ value: 'anna.berg@polisen.example' }],
      active: true,
    });
    expect(res.json().externalId).toBeUndefined();
    const { rows } = await t.sql.query('SELECT username, oidc_subject, external_id, roles FROM app_user WHERE id = $1', [annaId]);
    expect(rows[0]).toEqual({
      username: 'anna.berg.polisen.example',
      oidc_subject: 'Anna.Berg@Polisen.example',
      external_id: null,
      roles: ['partner'],
    });
  });

  it('PATCH with a bad value → 400, audited with the rule (never the value), nothing changed', async () => {
    const res = await scim('police', 'PATCH', `/Users/${annaId}`, {
      schemas: [SCIM.patch],
      Operations: [
        { op: 'replace', path: 'displayName', value: 'Changed' },
        { op: 'replace', path: 'active', value: 'perhaps' },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ scimType: 'invalidValue' });
    expect(res.body).not.toContain('perhaps');
    const { rows } = await t.sql.query('SELECT display_name FROM app_user WHERE id = $1', [annaId]);
    expect(rows[0].display_name).toBe('Anna Berg');
    const refused = (await auditRows('scim.user.patch')).filter((r) => r.reason?.startsWith('invalid:'));
    expect(refused).toEqual([
      expect.objectContaining({ outcome: 'denied', reason: 'invalid:invalidValue', actor_id: tokenId.police, resource_id: annaId }),
    ]);
  });

  it('PATCH active false ends the user’s sessions at once: their next request answers 401', async () => {
    const session = await login(t.app, 'police');
    expect((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(session) })).statusCode).toBe(200);
    const found = (await scim('police', 'GET', `/Users?filter=${encodeURIComponent('userName eq "police"')}`)).json();
    const policeId: string = found.Resources[0].id;
    const res = await scim('police', 'PATCH', `/Users/${policeId}`, {
      schemas: [SCIM.patch],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().active).toBe(false);
    expect((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(session) })).statusCode).toBe(401);
    const { rows } = await t.sql.query('SELECT count(*)::int AS n FROM user_session WHERE user_id = $1 AND revoked_at IS NULL', [policeId]);
    expect(rows[0].n).toBe(0);
    const [audit] = (await auditRows('scim.user.patch')).filter((r) => r.resource_id === policeId);
    expect(audit).toMatchObject({ outcome: 'allowed', reason: 'changed:active', actor_agency_id: agency.police });
    // Reactivated ("True" as Entra ID may send it): signing in works again; the ended session stays ended.
    const back = await scim('police', 'PATCH', `/Users/${policeId}`, {
      schemas: [SCIM.patch],
      Operations: [{ op: 'Replace', path: 'active', value: 'True' }],
    });
    expect(back.json().active).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(session) })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(await login(t.app, 'police')) })).statusCode).toBe(200);
  });

  it('DELETE deactivates and keeps the row; SCIM then answers 404; creating the userName again restores the same user', async () => {
    expect((await scim('police', 'DELETE', `/Users/${annaId}`)).statusCode).toBe(204);
    expect((await scim('police', 'GET', `/Users/${annaId}`)).statusCode).toBe(404);
    expect((await scim('police', 'DELETE', `/Users/${annaId}`)).statusCode).toBe(404);
    const { rows } = await t.sql.query(
      'SELECT active, deactivated_at IS NOT NULL AS deactivated, scim_deleted_at IS NOT NULL AS deleted FROM app_user WHERE id = $1',
      [annaId],
    );
    expect(rows[0]).toEqual({ active: false, deactivated: true, deleted: true });
    expect(await auditRows('scim.user.delete')).toEqual(
      expect.arrayContaining([expect.objectContaining({ outcome: 'allowed', resource_id: annaId, actor_id: tokenId.police })]),
    );
    const again = await scim('police', 'POST', '/Users', newUser('anna.berg@polisen.example'));
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ id: annaId, active: true, userName: 'anna.berg@polisen.example' });
  });
});

describe('SCIM rate limit', () => {
  it('answers 429 as a SCIM error with Retry-After beyond the budget per address', async () => {
    const limited = await createTestApp({ RATE_LIMIT_SCIM_PER_MINUTE: '3' });
    try {
      const statuses: number[] = [];
      let last: LightMyRequestResponse | undefined;
      for (let i = 0; i < 4; i++) {
        last = await limited.app.inject({ method: 'GET', url: '/scim/v2/ServiceProviderConfig' });
        statuses.push(last.statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(last!.headers['retry-after']).toMatch(/^[0-9]+$/);
      expect(last!.json()).toMatchObject({ schemas: [SCIM.error], status: '429' });
    } finally {
      await limited.close();
    }
  });
});
