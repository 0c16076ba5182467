import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, createUser, login, type TestContext } from '../helpers/app.js';
import { agencies, count, createCase, deniedCount, type Agencies } from './fixtures.js';

/**
 * Who reaches which case route. Routes on one case answer 404 to everyone but the owning
 * agency's social workers (another agency, or an auditor or coordinator of the same agency),
 * the same answer as for a case that does not exist, and audit the denial.
 */
describe('case access', () => {
  let t: TestContext;
  let social: string;
  let tokens: Record<string, string>;
  let a: Agencies;
  let caseId: string;
  let itemId: string;

  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    a = await agencies(t);
    // A social worker of another social services agency.
    const admin = await login(t.app, 'admin');
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/admin/agencies',
      headers: bearer(admin),
      payload: { name: 'Grannkommunen IFO', kind: 'social_services' },
    });
    await createUser(
      t.app,
      admin,
      {
        username: 'othersocial',
        displayName: 'Olle Annan',
        password: 'other-social-pass',
        agencyId: other.json().id,
        roles: ['social_worker'],
      },
      { approver: await login(t.app, 'admin2') },
    );
    tokens = {
      school: await login(t.app, 'school'),
      police: await login(t.app, 'police'),
      auditor: await login(t.app, 'auditor'),
      coordinator: await login(t.app, 'coordinator'),
      admin,
      othersocial: await login(t.app, 'othersocial', 'other-social-pass'),
    };
    const c = await createCase(t.app, social, { agencyIds: [a.school] });
    caseId = c.id;
    const item = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/plan-items`,
      headers: bearer(social),
      payload: { lifeArea: 'school', goal: 'Närvaro', action: 'Möte', responsibleAgencyId: a.school },
    });
    itemId = item.json().id;
  });
  afterAll(async () => t.close());

  const objectRoutes = (): { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; payload?: Record<string, unknown> }[] => [
    { method: 'GET', url: `/api/cases/${caseId}` },
    { method: 'PATCH', url: `/api/cases/${caseId}`, payload: { reason: 'Ny oro' } },
    { method: 'POST', url: `/api/cases/${caseId}/close`, payload: { outcome: 'Avslutat' } },
    { method: 'POST', url: `/api/cases/${caseId}/reopen`, payload: { reason: 'Ny oro' } },
    { method: 'POST', url: `/api/cases/${caseId}/participants`, payload: { agencyId: a.police } },
    { method: 'DELETE', url: `/api/cases/${caseId}/participants/${a.school}` },
    { method: 'POST', url: `/api/cases/${caseId}/entries`, payload: { category: 'school', text: 'Frånvaro 40 %' } },
    { method: 'GET', url: `/api/cases/${caseId}/entries` },
    {
      method: 'POST',
      url: `/api/cases/${caseId}/plan-items`,
      payload: { lifeArea: 'school', goal: 'G', action: 'A', responsibleAgencyId: a.school },
    },
    { method: 'PATCH', url: `/api/cases/${caseId}/plan-items/${itemId}`, payload: { status: 'done' } },
    {
      method: 'POST',
      url: `/api/cases/${caseId}/meetings`,
      payload: { date: '2026-12-01', agencyIds: [a.social], agenda: 'A', minutes: 'M' },
    },
    { method: 'GET', url: `/api/cases/${caseId}/meetings` },
  ];
  const collectionRoutes = [
    {
      method: 'POST' as const,
      url: '/api/cases',
      payload: {
        type: 'sspf',
        area: 'Norrby',
        reason: 'x',
        subject: { personalIdentityNumber: '198211059954', firstName: 'A', lastName: 'B' },
      },
    },
    { method: 'GET' as const, url: '/api/cases' },
    { method: 'POST' as const, url: '/api/cases/search', payload: { q: 'Elin' } },
    { method: 'GET' as const, url: '/api/cases/stats' },
    { method: 'GET' as const, url: '/api/stats/groups' },
    { method: 'GET' as const, url: '/api/cases/options' },
  ];

  it('every route answers 401 without a session', async () => {
    for (const r of [...objectRoutes(), ...collectionRoutes]) {
      const res = await t.app.inject({ method: r.method, url: r.url, ...(r.payload ? { payload: r.payload } : {}) });
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
    }
  });

  it.each(['school', 'police', 'auditor', 'coordinator', 'admin', 'othersocial'])(
    '%s gets 404 on every route of the case, each denial audited, nothing changed',
    async (who) => {
      const before = {
        entries: await count(t, 'journal_entry'),
        items: await count(t, 'plan_item'),
        meetings: await count(t, 'meeting'),
        participants: await count(t, 'case_participant'),
      };
      for (const r of objectRoutes()) {
        const denied = await deniedCount(t);
        const res = await t.app.inject({
          method: r.method,
          url: r.url,
          headers: bearer(tokens[who]!),
          ...(r.payload ? { payload: r.payload } : {}),
        });
        expect(res.statusCode, `${who} ${r.method} ${r.url}`).toBe(404);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(await deniedCount(t), `${who} ${r.method} ${r.url} audited`).toBe(denied + 1);
      }
      expect({
        entries: await count(t, 'journal_entry'),
        items: await count(t, 'plan_item'),
        meetings: await count(t, 'meeting'),
        participants: await count(t, 'case_participant'),
      }).toEqual(before);
      const { rows } = await t.sql.query(
        "SELECT case_id, subject_id, reason FROM audit_queue WHERE outcome = 'denied' AND case_id = $1 ORDER BY id DESC LIMIT 1",
        [caseId],
      );
      expect(rows[0].case_id).toBe(caseId);
      expect(rows[0].subject_id).toBeTruthy();
      // A participating partner without consent is refused by the consent gate, with its reason.
      expect(['role', 'not_owner', 'no_consent']).toContain(rows[0].reason);
    },
  );

  it('a case the caller may not see looks exactly like one that does not exist', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const hidden = await t.app.inject({ url: `/api/cases/${caseId}`, headers: bearer(tokens.school!) });
    const none = await t.app.inject({ url: `/api/cases/${missing}`, headers: bearer(social) });
    const strip = (b: Record<string, unknown>): Record<string, unknown> => ({ ...b, requestId: undefined });
    expect(hidden.statusCode).toBe(404);
    expect(none.statusCode).toBe(404);
    expect(strip(hidden.json())).toEqual(strip(none.json()));
    const { rows } = await t.sql.query("SELECT reason FROM audit_queue WHERE resource_id = $1 AND outcome = 'denied'", [missing]);
    expect(rows.map((r) => r.reason)).toEqual(['not_found']);
  });

  it('collection routes answer 403 to roles that may not use them (audited); partners list nothing without consent', async () => {
    const expectations: [string, string, 'GET' | 'POST', number, Record<string, unknown>?][] = [
      ['school', '/api/cases', 'POST', 403, collectionRoutes[0]!.payload],
      ['coordinator', '/api/cases', 'POST', 403, collectionRoutes[0]!.payload],
      ['auditor', '/api/cases', 'GET', 403],
      ['coordinator', '/api/cases', 'GET', 403],
      ['auditor', '/api/cases/search', 'POST', 403, { q: 'Elin' }],
      ['admin', '/api/cases', 'GET', 403],
      ['school', '/api/cases/stats', 'GET', 403],
      ['auditor', '/api/stats/groups', 'GET', 403],
      ['school', '/api/cases', 'GET', 200],
      ['coordinator', '/api/stats/groups', 'GET', 200],
      ['coordinator', '/api/cases/stats', 'GET', 403],
    ];
    for (const [who, url, method, status, payload] of expectations) {
      const denied = await deniedCount(t);
      const res = await t.app.inject({ method, url, headers: bearer(tokens[who]!), ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${who} ${method} ${url}`).toBe(status);
      expect(await deniedCount(t)).toBe(denied + (status === 403 ? 1 : 0));
    }
    const partnerList = await t.app.inject({ url: '/api/cases', headers: bearer(tokens.school!) });
    expect(partnerList.json()).toEqual({ items: [], total: 0, page: 1, pageSize: 20, totalIsEstimate: false });
    expect(await count(t, 'subject', 'personal_identity_number = $1', ['198211059954'])).toBe(0);
  });

  it('a malformed case id answers 400', async () => {
    expect((await t.app.inject({ url: '/api/cases/not-a-uuid', headers: bearer(social) })).statusCode).toBe(400);
  });
});
