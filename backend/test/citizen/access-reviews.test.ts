import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { citizenSignIn } from '../helpers/citizen.js';
import { agencies, createCase, MINOR, pin } from '../cases/fixtures.js';

describe('citizen access reviews (staff)', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let coordinator: string;
  let caseId: string;
  let subjectId: string;
  let annaId: string;

  beforeAll(async () => {
    t = await createTestApp();
    [social, school, coordinator] = (await Promise.all(['social', 'school', 'coordinator'].map((u) => login(t.app, u)))) as [
      string,
      string,
      string,
    ];
    const a = await agencies(t);
    const c = await createCase(t.app, social, { agencyIds: [a.school] }, { protectedIdentity: 'skyddad_folkbokforing' });
    caseId = c.id;
    subjectId = c.subject.id;
    annaId = c.subject.guardians.find((g) => g.firstName === 'Anna')!.id;
  });
  afterAll(async () => t.close());

  const url = (id = caseId) => `/api/cases/${id}/citizen-access-reviews`;
  const post = (token: string | null, payload: unknown, id = caseId) =>
    t.app.inject({ method: 'POST', url: url(id), headers: token ? bearer(token) : {}, payload: payload as Record<string, unknown> });
  const get = (token: string | null, id = caseId) => t.app.inject({ url: url(id), headers: token ? bearer(token) : {} });
  const reviews = async (): Promise<number> => Number((await t.sql.query('SELECT count(*) AS n FROM citizen_access_review')).rows[0].n);
  const denials = async (action: string): Promise<{ reason: string }[]> =>
    (await t.sql.query("SELECT reason FROM audit_queue WHERE action = $1 AND outcome = 'denied' ORDER BY occurred_at", [action])).rows;
  const release = { person: 'subject', decision: 'release', reasonCode: 'no_harm' };

  it('answers 401 without a session, and to a citizen token', async () => {
    expect((await post(null, release)).statusCode).toBe(401);
    expect((await get(null)).statusCode).toBe(401);
    const citizen = await citizenSignIn(t.app, { personalIdentityNumber: MINOR });
    expect((await t.app.inject({ url: url(), headers: citizen.headers })).statusCode).toBe(401);
  });

  it('answers 403 to other roles, audited, and writes nothing', async () => {
    expect((await post(school, release)).statusCode).toBe(403);
    expect((await post(coordinator, release)).statusCode).toBe(403);
    expect((await get(school)).statusCode).toBe(403);
    expect(await reviews()).toBe(0);
    expect((await denials('case.citizen_access_review.create')).length).toBe(2);
    expect((await denials('case.citizen_access_review.read')).length).toBe(1);
  });

  it('answers 404 for a missing case and for another unit’s case, audited', async () => {
    expect((await post(social, release, randomUUID())).statusCode).toBe(404);
    const other = await createCase(t.app, social, {}, { personalIdentityNumber: pin('20120101', '401'), guardians: [] });
    const { rows } = await t.sql.query(
      "INSERT INTO agency (id, name, kind) VALUES (gen_random_uuid(), 'Socialtjänsten Hulta', 'social_services') RETURNING id",
    );
    await t.sql.query('UPDATE support_case SET owner_agency_id = $1 WHERE id = $2', [rows[0].id, other.id]);
    const notMine = await post(social, release, other.id);
    expect(notMine.statusCode).toBe(404);
    expect(notMine.json().type).toBe('urn:samverka:problem:not_found');
    expect((await get(social, other.id)).statusCode).toBe(404);
    expect(await reviews()).toBe(0);
    expect((await denials('case.citizen_access_review.create')).map((d) => d.reason)).toContain('not_found');
    expect((await denials('case.citizen_access_review.create')).map((d) => d.reason)).toContain('not_owner');
    expect((await denials('case.citizen_access_review.read')).map((d) => d.reason)).toContain('not_owner');
  });

  it('answers 400 to malformed input and a guardian of another subject, writing nothing', async () => {
    const other = await createCase(
      t.app,
      social,
      {},
      {
        personalIdentityNumber: pin('20120202', '402'),
        guardians: [{ firstName: 'Eva', lastName: 'B', custody: true }],
      },
    );
    const bad: unknown[] = [
      {},
      { ...release, decision: 'maybe' },
      { ...release, reasonCode: 'because' },
      { ...release, extra: 1 },
      { ...release, guardianId: annaId },
      { person: 'guardian', decision: 'release', reasonCode: 'no_harm' },
      { person: 'guardian', guardianId: 'not-a-uuid', decision: 'release', reasonCode: 'no_harm' },
      { person: 'guardian', guardianId: other.subject.guardians[0]!.id, decision: 'release', reasonCode: 'no_harm' },
      { person: 'guardian', guardianId: randomUUID(), decision: 'release', reasonCode: 'no_harm' },
    ];
    for (const payload of bad) expect((await post(social, payload)).statusCode, JSON.stringify(payload)).toBe(400);
    expect((await post(social, release, 'not-a-uuid')).statusCode).toBe(400);
    expect(await reviews()).toBe(0);
  });

  it('records reviews about the subject and a guardian, lists them newest first, audited; the citizen view follows', async () => {
    const youth = await citizenSignIn(t.app, { personalIdentityNumber: MINOR });
    const me = async () => (await t.app.inject({ url: '/api/citizen/me', headers: youth.headers })).json().relations;
    expect(await me()).toEqual([{ subjectId: null, as: 'subject', access: 'contact_social_worker', firstName: null, age: null }]);

    const first = await post(social, release);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toEqual({
      id: expect.any(String),
      person: 'subject',
      guardianId: null,
      decision: 'release',
      reasonCode: 'no_harm',
      reviewedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      reviewedByName: expect.any(String),
    });
    expect(await me()).toEqual([{ subjectId, as: 'subject', access: 'full', firstName: 'Elin', age: 15 }]);

    const second = await post(social, { person: 'guardian', guardianId: annaId, decision: 'withhold', reasonCode: 'harm_risk' });
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json()).toMatchObject({ person: 'guardian', guardianId: annaId, decision: 'withhold' });

    const list = await get(social);
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((i: { id: string }) => i.id)).toEqual([second.json().id, first.json().id]);

    const { rows } = await t.sql.query(
      "SELECT action, resource_type, case_id, subject_id FROM audit_queue WHERE action LIKE 'case.citizen_access_review.%' AND outcome = 'allowed' ORDER BY occurred_at",
    );
    expect(rows).toEqual([
      { action: 'case.citizen_access_review.create', resource_type: 'citizen_access_review', case_id: caseId, subject_id: subjectId },
      { action: 'case.citizen_access_review.create', resource_type: 'citizen_access_review', case_id: caseId, subject_id: subjectId },
      { action: 'case.citizen_access_review.read', resource_type: 'citizen_access_review', case_id: caseId, subject_id: subjectId },
    ]);
  });

  it('records a review on a closed case too', async () => {
    const c = await createCase(t.app, social, {}, { personalIdentityNumber: pin('20100303', '403'), guardians: [] });
    await t.sql.query("UPDATE support_case SET status = 'closed', outcome = 'Avslutat.', closed_at = now() WHERE id = $1", [c.id]);
    expect((await post(social, release, c.id)).statusCode).toBe(201);
  });

  it("records a guardian's protected identity on the case and never lowers it", async () => {
    const child = pin('20150505', '404');
    const guardianPin = pin('19850505', '405');
    const guardian = { firstName: 'Lena', lastName: 'C', personalIdentityNumber: guardianPin, custody: true };
    const c = await createCase(
      t.app,
      social,
      {},
      {
        personalIdentityNumber: child,
        guardians: [{ ...guardian, protectedIdentity: 'sekretessmarkering' }],
      },
    );
    expect(c.subject.guardians[0]).toMatchObject({ protectedIdentity: 'sekretessmarkering' });
    const parent = await citizenSignIn(t.app, { personalIdentityNumber: guardianPin });
    const view = async () => (await t.app.inject({ url: '/api/citizen/me', headers: parent.headers })).json().relations;
    expect(await view()).toEqual([expect.objectContaining({ as: 'guardian', access: 'contact_social_worker' })]);

    await t.sql.query("UPDATE support_case SET status = 'closed', outcome = 'Avslutat.', closed_at = now() WHERE id = $1", [c.id]);
    const again = await createCase(
      t.app,
      social,
      {},
      { personalIdentityNumber: child, guardians: [{ ...guardian, protectedIdentity: 'none' }] },
    );
    expect(again.subject.guardians).toEqual([expect.objectContaining({ protectedIdentity: 'sekretessmarkering' })]);
    const third = await createCase(
      t.app,
      social,
      {},
      {
        personalIdentityNumber: child,
        guardians: [{ ...guardian, protectedIdentity: 'skyddad_folkbokforing' }],
      },
    );
    expect(third.subject.guardians).toEqual([expect.objectContaining({ protectedIdentity: 'skyddad_folkbokforing' })]);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: bearer(social),
      payload: {
        type: 'sspf',
        area: 'Norrby',
        reason: 'Oro.',
        subject: {
          personalIdentityNumber: child,
          firstName: 'Elin',
          lastName: 'A',
          guardians: [{ ...guardian, protectedIdentity: 'secret' }],
        },
      },
    });
    expect(bad.statusCode).toBe(400);
  });
});
