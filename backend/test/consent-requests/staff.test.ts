import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { citizenSignIn } from '../helpers/citizen.js';
import { agencies, birthDateFor, count, daysFromToday, deniedCount, openCase, type Agencies } from '../consents/fixtures.js';
import { addMonths } from '../../src/modules/consents/calendar.js';
import { code, createRequest, openFamilyCase, otherSocialWorker, requestBody, type Family } from './fixtures.js';

const NO_SUCH = '00000000-0000-4000-8000-000000000000';

describe('consent requests: the owning unit prepares, lists and cancels', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let othersocial: string;
  let a: Agencies;
  let fam: Family;

  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    school = await login(t.app, 'school');
    othersocial = await otherSocialWorker(t);
    a = await agencies(t);
    fam = await openFamilyCase(t.app, social, '731', [a.school, a.police]);
  });
  afterAll(async () => t.close());

  const call = (token: string | null, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    t.app.inject({ method, url, ...(token ? { headers: bearer(token) } : {}), ...(payload ? { payload } : {}) });
  const routes = (caseId: string, requestId = NO_SUCH) =>
    [
      ['POST', `/api/cases/${caseId}/consent-requests`, requestBody([a.social, a.school])],
      ['GET', `/api/cases/${caseId}/consent-requests`, undefined],
      ['POST', `/api/cases/${caseId}/consent-requests/${requestId}/cancel`, undefined],
    ] as const;

  it('401 without a session', async () => {
    for (const [method, url, payload] of routes(fam.caseId)) expect((await call(null, method, url, payload)).statusCode).toBe(401);
  });

  it('403 for a partner (audited), 404 for another agency’s social worker and a missing case (audited); nothing written', async () => {
    for (const [method, url, payload] of routes(fam.caseId)) {
      const before = await deniedCount(t);
      const res = await call(school, method, url, payload);
      expect(res.statusCode).toBe(403);
      expect(await deniedCount(t)).toBe(before + 1);
    }
    for (const caseId of [fam.caseId, NO_SUCH]) {
      for (const [method, url, payload] of routes(caseId)) {
        const before = await deniedCount(t);
        const res = await call(othersocial, method, url, payload);
        expect(res.statusCode).toBe(404);
        expect(res.json().detail).toBe('The resource does not exist or you do not have access to it.');
        expect(await deniedCount(t)).toBe(before + 1);
      }
    }
    expect(await count(t, 'consent_request')).toBe(0);
  });

  it('400 for a scope a consent could not have, or a party who cannot answer; nothing written', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [requestBody([a.school, a.police]), 'owner_agency_required'],
      [requestBody([a.social, NO_SUCH]), 'unknown_agency'],
      [requestBody([a.social, a.school], { categories: ['identity', 'astrology'] }), 'unknown_category'],
      [requestBody([a.social, a.school], { categories: ['school'] }), 'identity_required'],
      [requestBody([a.social, a.school], { validTo: addMonths(daysFromToday(0), 13) }), 'period_too_long'],
      [requestBody([a.social, a.school], { validFrom: daysFromToday(10), validTo: daysFromToday(5) }), 'invalid_period'],
      [requestBody([a.social, a.school], { validFrom: daysFromToday(-60), validTo: daysFromToday(-1) }), 'period_ended'],
      [requestBody([a.social, a.school], { expiresAt: new Date(Date.now() + 91 * 86_400_000).toISOString() }), 'expiry_too_late'],
      [requestBody([a.social, a.school], { expiresAt: new Date(Date.now() - 60_000).toISOString() }), 'invalid_expiry'],
    ];
    for (const [body, expected] of bad) {
      const res = await call(social, 'POST', `/api/cases/${fam.caseId}/consent-requests`, body);
      expect(res.statusCode, expected).toBe(400);
      expect(code(res)).toBe(expected);
    }
    for (const body of [
      requestBody([a.social]),
      requestBody([a.social, a.school], { purpose: '' }),
      requestBody([a.social, a.school], { extra: 1 }),
      requestBody([a.social, a.school], { validFrom: 'tomorrow' }),
    ]) {
      expect((await call(social, 'POST', `/api/cases/${fam.caseId}/consent-requests`, body)).statusCode).toBe(400);
    }
    expect((await call(social, 'POST', `/api/cases/${fam.caseId}/consent-requests/not-a-uuid/cancel`)).statusCode).toBe(400);

    // A 12-year-old whose guardian with custody has no personnummer on record: nobody could answer.
    const unreachable = await openCase(t.app, social, birthDateFor(12, 30), { guardians: [true], serial: '732' });
    const res = await call(social, 'POST', `/api/cases/${unreachable.id}/consent-requests`, requestBody([a.social, a.school]));
    expect(res.statusCode).toBe(400);
    expect(code(res)).toBe('no_reachable_party');
    expect(res.json().detail).toContain('a guardian with custody has no personal identity number on record');
    // No guardian with custody at all.
    const orphan = await openCase(t.app, social, birthDateFor(10, 30), { guardians: [false], serial: '733' });
    const none = await call(social, 'POST', `/api/cases/${orphan.id}/consent-requests`, requestBody([a.social, a.school]));
    expect(code(none)).toBe('no_reachable_party');
    expect(await count(t, 'consent_request')).toBe(0);
  });

  it('protected identity: no_reachable_party until a secrecy review releases the e-service for the person', async () => {
    const held = await openFamilyCase(t.app, social, '735', [a.school], { protectedIdentity: 'sekretessmarkering' });
    const res = await call(social, 'POST', `/api/cases/${held.caseId}/consent-requests`, requestBody([a.social, a.school]));
    expect(res.statusCode).toBe(400);
    expect(code(res)).toBe('no_reachable_party');
    expect(res.json().detail).toContain('the person has protected identity');
    expect(res.body).not.toContain('Zelmira');
    await t.sql.query(
      `INSERT INTO citizen_access_review (id, subject_id, guardian_id, decision, reason_code, reviewed_by)
       SELECT gen_random_uuid(), $1, NULL, 'release', 'no_harm', id FROM app_user WHERE username = 'social'`,
      [held.subjectId],
    );
    expect((await call(social, 'POST', `/api/cases/${held.caseId}/consent-requests`, requestBody([a.social, a.school]))).statusCode).toBe(
      201,
    );
  });

  it('a citizen token is refused on the staff routes (401)', async () => {
    const citizen = await citizenSignIn(t.app, { personalIdentityNumber: fam.custodialPin });
    for (const [method, url, payload] of routes(fam.caseId)) {
      expect((await t.app.inject({ method, url, headers: citizen.headers, ...(payload ? { payload } : {}) })).statusCode).toBe(401);
    }
  });

  let requestId = '';
  it('201: the request, awaiting the guardian with custody and the 15-year-old; listed newest first; audited', async () => {
    const created = await createRequest(t.app, social, fam.caseId, requestBody([a.social, a.school]));
    requestId = created.id;
    expect(created).toMatchObject({
      caseId: fam.caseId,
      agencyIds: [a.social, a.school],
      agencyNames: ['Borås Stad – Individ- och familjeomsorg', 'Engelbrektskolan'],
      categories: ['identity', 'school'],
      status: 'open',
      answers: [],
      awaiting: [
        { kind: 'guardian', guardianId: fam.custodialId },
        { kind: 'subject', guardianId: null },
      ],
    });
    const expires = Date.parse(created.expiresAt as string) - Date.parse(created.createdAt as string);
    expect(Math.round(expires / 86_400_000)).toBe(30);
    expect(
      await count(t, 'audit_queue', "action = 'consent.request.create' AND outcome = 'allowed' AND resource_id = $1", [requestId]),
    ).toBe(1);

    const list = await call(social, 'GET', `/api/cases/${fam.caseId}/consent-requests`);
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((r: { id: string }) => r.id)).toEqual([requestId]);
    expect(await count(t, 'audit_queue', "action = 'consent.request.read' AND outcome = 'allowed' AND case_id = $1", [fam.caseId])).toBe(1);
  });

  it('cancel: 200 and cancelled; again 409 request_closed; another case’s request 404', async () => {
    const other = await openFamilyCase(t.app, social, '734', [a.school]);
    const res = await call(social, 'POST', `/api/cases/${other.caseId}/consent-requests/${requestId}/cancel`);
    expect(res.statusCode).toBe(404);

    const cancelled = await call(social, 'POST', `/api/cases/${fam.caseId}/consent-requests/${requestId}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ id: requestId, status: 'cancelled', awaiting: [] });
    const again = await call(social, 'POST', `/api/cases/${fam.caseId}/consent-requests/${requestId}/cancel`);
    expect(again.statusCode).toBe(409);
    expect(code(again)).toBe('request_closed');
  });

  it('a closed case: no new request, no cancel (409 case_closed); its requests can still be read', async () => {
    const open = await createRequest(t.app, social, fam.caseId, requestBody([a.social, a.school]));
    const closed = await call(social, 'POST', `/api/cases/${fam.caseId}/close`, { outcome: 'Målen uppnådda' });
    expect(closed.statusCode).toBe(200);
    const create = await call(social, 'POST', `/api/cases/${fam.caseId}/consent-requests`, requestBody([a.social, a.school]));
    expect(create.statusCode).toBe(409);
    expect(code(create)).toBe('case_closed');
    const cancel = await call(social, 'POST', `/api/cases/${fam.caseId}/consent-requests/${open.id}/cancel`);
    expect(code(cancel)).toBe('case_closed');
    expect((await call(social, 'GET', `/api/cases/${fam.caseId}/consent-requests`)).json().items).toHaveLength(2);
  });
});
