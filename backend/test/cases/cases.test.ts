import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { ADULT, MINOR, agencies, count, createCase, newCaseBody, type Agencies } from './fixtures.js';

describe('cases: open, update, close, reopen, participants', () => {
  let t: TestContext;
  let social: string;
  let a: Agencies;
  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    a = await agencies(t);
  });
  afterAll(async () => t.close());

  const rows = async (): Promise<Record<string, number>> => ({
    subject: await count(t, 'subject'),
    guardian: await count(t, 'guardian'),
    support_case: await count(t, 'support_case'),
    case_participant: await count(t, 'case_participant'),
    audit: await count(t, 'audit_queue', "action LIKE 'case.%' AND outcome = 'allowed'"),
  });

  it('opens a case: 201 with ids of case, subject and guardians; owner is the caller and their agency; audited in the same transaction', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: bearer(social),
      payload: newCaseBody({ agencyIds: [a.school, a.police] }),
    });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({
      type: 'sspf',
      status: 'open',
      phase: null,
      area: 'Norrby',
      ownerAgencyId: a.social,
      outcome: null,
      closedAt: null,
    });
    expect(c.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.subject.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.subject).toMatchObject({
      firstName: 'Elin',
      lastName: 'Andersson',
      birthDate: '2011-03-14',
      protectedIdentity: 'none',
      coordinationNumber: false,
    });
    expect(c.subject.guardians).toHaveLength(2);
    expect(c.subject.guardians.every((g: { id: string }) => /^[0-9a-f-]{36}$/.test(g.id))).toBe(true);
    expect(c.participants.map((p: { agencyId: string }) => p.agencyId).sort()).toEqual([a.school, a.police].sort());
    const { rows: ev } = await t.sql.query('SELECT action, case_id, subject_id FROM audit_queue WHERE case_id = $1 ORDER BY id', [c.id]);
    expect(ev.map((e) => e.action)).toEqual(['subject.create', 'case.create']);
    expect(ev[1].subject_id).toBe(c.subject.id);
  });

  it('an avhoppare case starts in the assessment phase and moves through phases; sspf has none', async () => {
    const c = await createCase(t.app, social, { type: 'avhoppare', area: 'Hulta' }, { personalIdentityNumber: ADULT, guardians: [] });
    expect(c).toMatchObject({ type: 'avhoppare', phase: 'assessment' });
    const next = await t.app.inject({
      method: 'PATCH',
      url: `/api/cases/${c.id}`,
      headers: bearer(social),
      payload: { phase: 'intensive' },
    });
    expect(next.statusCode).toBe(200);
    expect(next.json().phase).toBe('intensive');
    const sspf = await createCase(t.app, social, {}, { personalIdentityNumber: '200012099891', guardians: [] });
    const bad = await t.app.inject({
      method: 'PATCH',
      url: `/api/cases/${sspf.id}`,
      headers: bearer(social),
      payload: { phase: 'intensive' },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      (await t.app.inject({ method: 'PATCH', url: `/api/cases/${c.id}`, headers: bearer(social), payload: { phase: 'done' } })).statusCode,
    ).toBe(400);
  });

  it('rejects bad input with 400 and writes nothing', async () => {
    const before = await rows();
    const bad: [string, Record<string, unknown>, string?][] = [
      ['unknown area', newCaseBody({ area: 'Atlantis' }), '/area'],
      ['unknown type', newCaseBody({ type: 'lvu' })],
      ['unknown property', newCaseBody({ secret: 1 })],
      ['unknown subject property', newCaseBody({}, { nickname: 'E' })],
      ['invalid personnummer', newCaseBody({}, { personalIdentityNumber: '201103142385' }), '/subject/personalIdentityNumber'],
      ['future birth date', newCaseBody({}, { personalIdentityNumber: '20991231-1236' }), '/subject/personalIdentityNumber'],
      [
        'guardian with invalid personnummer',
        newCaseBody(
          {},
          {
            guardians: [
              { firstName: 'A', lastName: 'B', custody: true },
              { firstName: 'A', lastName: 'B', personalIdentityNumber: '19800520-2225', custody: true },
            ],
          },
        ),
        '/subject/guardians/1/personalIdentityNumber',
      ],
      ['guardians for an adult', newCaseBody({}, { personalIdentityNumber: ADULT }), '/subject/guardians'],
      [
        'guardian is the subject',
        newCaseBody(
          {},
          {
            guardians: [
              { firstName: 'A', lastName: 'B', custody: true },
              { firstName: 'A', lastName: 'B', personalIdentityNumber: MINOR, custody: true },
            ],
          },
        ),
        '/subject/guardians/1/personalIdentityNumber',
      ],
      ['empty reason', newCaseBody({ reason: '   ' })],
      ['overlong reason', newCaseBody({ reason: 'x'.repeat(5001) })],
      ['unknown protection', newCaseBody({}, { protectedIdentity: 'fingerad' })],
      ['unknown agency', newCaseBody({ agencyIds: ['00000000-0000-4000-8000-000000000000'] }), '/agencyIds'],
      ['owner as participant', newCaseBody({ agencyIds: [a.school, a.social] }), '/agencyIds/1'],
      ['no subject', { type: 'sspf', area: 'Norrby', reason: 'x' }],
    ];
    for (const [what, payload, path] of bad) {
      const res = await t.app.inject({ method: 'POST', url: '/api/cases', headers: bearer(social), payload });
      expect(res.statusCode, what).toBe(400);
      expect(res.body, what).not.toContain('201103142385');
      expect(res.body, what).not.toContain(MINOR);
      // Business-rule 400s name the field, like validation 400s; never its value.
      if (path) expect(res.json().errors, what).toEqual([{ path, message: res.json().detail }]);
    }
    expect(await rows()).toEqual(before);
  });

  it('accepts an area in any letter case and stores the configured name', async () => {
    const c = await createCase(t.app, social, { area: 'hässleholmen' }, { personalIdentityNumber: '198211059954', guardians: [] });
    expect(c.area).toBe('Hässleholmen');
  });

  it('status: open → active by PATCH; closing needs an outcome; closed cases refuse changes (409); reopen → active', async () => {
    const c = await createCase(t.app, social, {}, { personalIdentityNumber: '19901211-9948', guardians: [] });
    const h = bearer(social);
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/cases/${c.id}/reopen`, headers: h, payload: { reason: 'Ny oro' } })).statusCode,
    ).toBe(409);
    const active = await t.app.inject({
      method: 'PATCH',
      url: `/api/cases/${c.id}`,
      headers: h,
      payload: { status: 'active', reason: 'Uppdaterad oro', area: 'Sjöbo' },
    });
    expect(active.statusCode).toBe(200);
    expect(active.json()).toMatchObject({ status: 'active', reason: 'Uppdaterad oro', area: 'Sjöbo' });
    expect((await t.app.inject({ method: 'PATCH', url: `/api/cases/${c.id}`, headers: h, payload: { status: 'open' } })).statusCode).toBe(
      409,
    );
    expect((await t.app.inject({ method: 'PATCH', url: `/api/cases/${c.id}`, headers: h, payload: { status: 'closed' } })).statusCode).toBe(
      409,
    );
    expect((await t.app.inject({ method: 'PATCH', url: `/api/cases/${c.id}`, headers: h, payload: {} })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: `/api/cases/${c.id}/close`, headers: h, payload: {} })).statusCode).toBe(400);
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/cases/${c.id}/close`, headers: h, payload: { outcome: ' ' } })).statusCode,
    ).toBe(400);
    const closed = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${c.id}/close`,
      headers: h,
      payload: { outcome: 'Målen uppnådda' },
    });
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed', outcome: 'Målen uppnådda' });
    expect(closed.json().closedAt).toBeTruthy();
    const entriesBefore = await count(t, 'journal_entry');
    for (const [method, url, payload] of [
      ['POST', `/api/cases/${c.id}/close`, { outcome: 'Igen' }],
      ['PATCH', `/api/cases/${c.id}`, { reason: 'x' }],
      ['POST', `/api/cases/${c.id}/entries`, { category: 'social', text: 'x' }],
      ['POST', `/api/cases/${c.id}/plan-items`, { lifeArea: 'school', goal: 'g', action: 'a', responsibleAgencyId: a.social }],
      ['POST', `/api/cases/${c.id}/meetings`, { date: '2026-12-01', agencyIds: [a.social], agenda: 'a', minutes: 'm' }],
      ['POST', `/api/cases/${c.id}/participants`, { agencyId: a.school }],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: h, payload });
      expect(res.statusCode, `${method} ${url}`).toBe(409);
    }
    expect(await count(t, 'journal_entry')).toBe(entriesBefore);
    expect((await t.app.inject({ url: `/api/cases/${c.id}`, headers: h })).statusCode).toBe(200);
    const reopened = await t.app.inject({ method: 'POST', url: `/api/cases/${c.id}/reopen`, headers: h, payload: { reason: 'Ny oro' } });
    expect(reopened.statusCode).toBe(200);
    expect(reopened.json()).toMatchObject({ status: 'active', closedAt: null, outcome: null });
    const { rows: ev } = await t.sql.query('SELECT action FROM audit_queue WHERE case_id = $1 AND outcome = $2 ORDER BY id', [
      c.id,
      'allowed',
    ]);
    expect(ev.map((e) => e.action)).toEqual(['subject.create', 'case.create', 'case.update', 'case.close', 'case.read', 'case.reopen']);
  });

  it('participants: add (201), duplicate (409), owner or unknown agency (400), remove (204), remove absent (409 not_participant)', async () => {
    const c = await createCase(t.app, social, {}, { personalIdentityNumber: '195705749959', guardians: [] });
    const h = bearer(social);
    const url = `/api/cases/${c.id}/participants`;
    const added = await t.app.inject({ method: 'POST', url, headers: h, payload: { agencyId: a.leisure } });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toEqual([expect.objectContaining({ agencyId: a.leisure, kind: 'leisure', name: 'Fritidsgården Norrby' })]);
    expect((await t.app.inject({ method: 'POST', url, headers: h, payload: { agencyId: a.leisure } })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'POST', url, headers: h, payload: { agencyId: a.social } })).statusCode).toBe(400);
    expect(
      (await t.app.inject({ method: 'POST', url, headers: h, payload: { agencyId: '00000000-0000-4000-8000-000000000000' } })).statusCode,
    ).toBe(400);
    expect((await t.app.inject({ method: 'POST', url, headers: h, payload: { agencyId: a.police, extra: true } })).statusCode).toBe(400);
    // An agency responsible for an unfinished plan item cannot be removed.
    const item = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${c.id}/plan-items`,
      headers: h,
      payload: { lifeArea: 'leisure', goal: 'g', action: 'a', responsibleAgencyId: a.leisure },
    });
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${a.leisure}`, headers: h })).statusCode).toBe(409);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/cases/${c.id}/plan-items/${item.json().id}`,
      headers: h,
      payload: { status: 'done' },
    });
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${a.leisure}`, headers: h })).statusCode).toBe(204);
    const absent = await t.app.inject({ method: 'DELETE', url: `${url}/${a.leisure}`, headers: h });
    expect(absent.statusCode).toBe(409);
    expect(absent.json()).toMatchObject({ type: 'urn:samverka:problem:not_participant', status: 409 });
    // An agency that never took part, even one that does not exist: the same 409; nothing audited as allowed.
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${a.police}`, headers: h })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/00000000-0000-4000-8000-000000000000`, headers: h })).statusCode).toBe(409);
    expect(await count(t, 'audit_queue', "action = 'case.participant.remove' AND case_id = $1", [c.id])).toBe(1);
    // A case the caller may not see still answers 404, never 409.
    const school = await login(t.app, 'school');
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${a.police}`, headers: bearer(school) })).statusCode).toBe(404);
    expect(await count(t, 'case_participant', 'case_id = $1', [c.id])).toBe(0);
  });

  it('the trigger-kept case counts always equal the cases (list total and agency figures rely on them)', async () => {
    const kept = await t.sql.query('SELECT owner_agency_id, type, status, n::int AS n FROM case_count WHERE n > 0 ORDER BY 1, 2, 3');
    const actual = await t.sql.query(
      'SELECT owner_agency_id, type, status, count(*)::int AS n FROM support_case GROUP BY 1, 2, 3 ORDER BY 1, 2, 3',
    );
    expect(kept.rows).toEqual(actual.rows);
    expect(kept.rows.some((r) => r.status === 'active')).toBe(true);
    const list = (await t.app.inject({ url: '/api/cases?status=active', headers: bearer(social) })).json();
    expect(list.total).toBe(actual.rows.filter((r) => r.status === 'active').reduce((n, r) => n + r.n, 0));
  });

  it('the case read contains every part: subject, guardians, participants, plan items with follow-ups, recent meetings', async () => {
    const ok = await createCase(
      t.app,
      social,
      { agencyIds: [a.school] },
      { personalIdentityNumber: '197306749982', phone: '070-123 45 67', address: 'Storgatan 1', guardians: [] },
    );
    const res = await t.app.inject({ url: `/api/cases/${ok.id}`, headers: bearer(social) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual([
      'area',
      'caseNumber',
      'closedAt',
      'createdAt',
      'deputyName',
      'deputyUserId',
      'id',
      'network',
      'outcome',
      'outcomeCode',
      'ownerAgencyId',
      'ownerUserId',
      'participants',
      'phase',
      'planItems',
      'reason',
      'recentMeetings',
      'responsibleName',
      'responsibleUserId',
      'status',
      'subject',
      'type',
      'updatedAt',
      'withheld',
    ]);
    expect(body.subject).toMatchObject({
      personalIdentityNumber: '197306749982',
      birthDate: '1973-06-14',
      coordinationNumber: true,
      phone: '070-123 45 67',
      address: 'Storgatan 1',
    });
  });
});
