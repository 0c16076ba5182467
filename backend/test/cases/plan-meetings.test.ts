import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { ADULT, agencies, count, createCase, deniedCount, type Agencies } from './fixtures.js';

describe('plan (åtagandeplan) and network meetings', () => {
  let t: TestContext;
  let social: string;
  let a: Agencies;
  let caseId: string;
  let otherCaseId: string;
  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    a = await agencies(t);
    caseId = (await createCase(t.app, social, { agencyIds: [a.school, a.leisure] })).id;
    otherCaseId = (await createCase(t.app, social, { type: 'avhoppare' }, { personalIdentityNumber: ADULT, guardians: [] })).id;
  });
  afterAll(async () => t.close());
  const h = () => bearer(social);

  it('adds a plan item per life area of the case type, with a responsible agency of the case', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/plan-items`,
      headers: h(),
      payload: {
        lifeArea: 'school',
        goal: 'Närvaro över 80 %',
        action: 'Veckovis avstämning med mentor',
        responsibleAgencyId: a.school,
        dueDate: '2027-02-01',
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      lifeArea: 'school',
      status: 'planned',
      category: 'plan',
      responsibleAgencyId: a.school,
      dueDate: '2027-02-01',
      authorAgencyId: a.social,
      authorName: 'Sara Lind',
      followUps: [],
    });
    const avh = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${otherCaseId}/plan-items`,
      headers: h(),
      payload: { lifeArea: 'housing', goal: 'Boende', action: 'Skyddat boende', responsibleAgencyId: a.social },
    });
    expect(avh.statusCode).toBe(201);
    expect(avh.json().dueDate).toBeNull();
  });

  it('refuses life areas of another case type, agencies outside the case and bad dates: 400, nothing written', async () => {
    const before = await count(t, 'plan_item');
    for (const payload of [
      { lifeArea: 'housing', goal: 'g', action: 'a', responsibleAgencyId: a.school },
      { lifeArea: 'school', goal: 'g', action: 'a', responsibleAgencyId: a.police },
      { lifeArea: 'school', goal: 'g', action: 'a', responsibleAgencyId: a.school, dueDate: '2027-02-30' },
      { lifeArea: 'school', goal: 'g', action: 'a', responsibleAgencyId: a.school, dueDate: 'tomorrow' },
      { lifeArea: 'school', goal: '', action: 'a', responsibleAgencyId: a.school },
      { lifeArea: 'school', goal: 'g', action: 'a', responsibleAgencyId: a.school, authorAgencyId: a.school },
      { lifeArea: 'school', goal: 'g', action: 'a', responsibleAgencyId: a.school, status: 'maybe' },
    ]) {
      const res = await t.app.inject({ method: 'POST', url: `/api/cases/${caseId}/plan-items`, headers: h(), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect(await count(t, 'plan_item')).toBe(before);
    // Business-rule 400s name the field.
    const paths = async (payload: Record<string, unknown>): Promise<string[]> =>
      ((await t.app.inject({ method: 'POST', url: `/api/cases/${caseId}/plan-items`, headers: h(), payload })).json().errors ?? []).map(
        (e: { path: string }) => e.path,
      );
    expect(await paths({ lifeArea: 'housing', goal: 'g', action: 'a', responsibleAgencyId: a.school })).toEqual(['/lifeArea']);
    expect(await paths({ lifeArea: 'school', goal: 'g', action: 'a', responsibleAgencyId: a.police })).toEqual(['/responsibleAgencyId']);
  });

  it('updates status, due date and responsibility; follow-up notes are appended', async () => {
    const item = (
      await t.app.inject({
        method: 'POST',
        url: `/api/cases/${caseId}/plan-items`,
        headers: h(),
        payload: { lifeArea: 'leisure', goal: 'Fritidsaktivitet', action: 'Prova boxning', responsibleAgencyId: a.leisure },
      })
    ).json();
    const url = `/api/cases/${caseId}/plan-items/${item.id}`;
    const r1 = await t.app.inject({
      method: 'PATCH',
      url,
      headers: h(),
      payload: { status: 'in_progress', followUp: 'Har varit där två gånger.' },
    });
    expect(r1.statusCode).toBe(200);
    const r2 = await t.app.inject({
      method: 'PATCH',
      url,
      headers: h(),
      payload: { followUp: 'Slutat gå.', dueDate: '2027-03-01', responsibleAgencyId: a.school },
    });
    expect(r2.statusCode).toBe(200);
    expect(r2.json()).toMatchObject({ status: 'in_progress', dueDate: '2027-03-01', responsibleAgencyId: a.school });
    expect(r2.json().followUps.map((f: { note: string }) => f.note)).toEqual(['Har varit där två gånger.', 'Slutat gå.']);
    expect(r2.json().followUps.map((f: { authorName: string }) => f.authorName)).toEqual(['Sara Lind', 'Sara Lind']);
    expect((await t.app.inject({ method: 'PATCH', url, headers: h(), payload: { responsibleAgencyId: a.police } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'PATCH', url, headers: h(), payload: { lifeArea: 'school' } })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'PATCH', url, headers: h(), payload: {} })).statusCode).toBe(400);
    const cleared = await t.app.inject({ method: 'PATCH', url, headers: h(), payload: { dueDate: null, status: 'cancelled' } });
    expect(cleared.json()).toMatchObject({ dueDate: null, status: 'cancelled' });
  });

  it('IDOR: a plan item reached through another case answers 404, is audited as denied, and is not changed', async () => {
    const item = (
      await t.app.inject({
        method: 'POST',
        url: `/api/cases/${caseId}/plan-items`,
        headers: h(),
        payload: { lifeArea: 'family', goal: 'g', action: 'a', responsibleAgencyId: a.social },
      })
    ).json();
    const denied = await deniedCount(t);
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/cases/${otherCaseId}/plan-items/${item.id}`,
      headers: h(),
      payload: { status: 'done', followUp: 'x' },
    });
    expect(res.statusCode).toBe(404);
    expect(await deniedCount(t)).toBe(denied + 1);
    const { rows } = await t.sql.query('SELECT status FROM plan_item WHERE id = $1', [item.id]);
    expect(rows[0].status).toBe('planned');
    expect(await count(t, 'plan_item_follow_up', 'plan_item_id = $1', [item.id])).toBe(0);
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: `/api/cases/${caseId}/plan-items/00000000-0000-4000-8000-000000000000`,
          headers: h(),
          payload: { status: 'done' },
        })
      ).statusCode,
    ).toBe(404);
  });

  it('records a meeting with agencies of the case, people, agenda, minutes and decisions; a decision can create a plan item', async () => {
    const items = await count(t, 'plan_item', 'case_id = $1', [caseId]);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/meetings`,
      headers: h(),
      payload: {
        date: '2026-12-03',
        agencyIds: [a.social, a.school],
        people: ['Elin', 'Anna (vårdnadshavare)'],
        agenda: 'Uppföljning',
        minutes: 'Närvaron har ökat.',
        decisions: [
          { text: 'Fortsätt mentorsamtal' },
          {
            text: 'Läxhjälp',
            planItem: {
              lifeArea: 'school',
              goal: 'Klara matte',
              action: 'Läxhjälp två gånger i veckan',
              responsibleAgencyId: a.school,
              dueDate: '2027-01-15',
            },
          },
        ],
      },
    });
    expect(res.statusCode).toBe(201);
    const m = res.json();
    expect(m).toMatchObject({
      date: '2026-12-03',
      category: 'plan',
      authorAgencyId: a.social,
      authorName: 'Sara Lind',
      people: ['Elin', 'Anna (vårdnadshavare)'],
      agenda: 'Uppföljning',
    });
    expect(m.agencyIds.sort()).toEqual([a.social, a.school].sort());
    expect(m.decisions[0]).toMatchObject({ text: 'Fortsätt mentorsamtal', planItemId: null });
    expect(m.decisions[1].planItemId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await count(t, 'plan_item', 'case_id = $1', [caseId])).toBe(items + 1);
    const { rows } = await t.sql.query(
      'SELECT action FROM audit_queue WHERE case_id = $1 AND action IN ($2, $3) ORDER BY id DESC LIMIT 2',
      [caseId, 'meeting.create', 'plan_item.create'],
    );
    expect(rows.map((r) => r.action).sort()).toEqual(['meeting.create', 'plan_item.create']);
  });

  it('a meeting with an agency outside the case, or a decision with a bad plan item, writes nothing at all', async () => {
    const before = { m: await count(t, 'meeting'), d: await count(t, 'meeting_decision'), p: await count(t, 'plan_item') };
    const base = { date: '2026-12-10', agencyIds: [a.social], agenda: 'a', minutes: 'm' };
    for (const payload of [
      { ...base, agencyIds: [a.police] },
      {
        ...base,
        decisions: [
          { text: 'ok', planItem: { lifeArea: 'school', goal: 'g', action: 'a', responsibleAgencyId: a.school } },
          { text: 'bad', planItem: { lifeArea: 'housing', goal: 'g', action: 'a', responsibleAgencyId: a.school } },
        ],
      },
      { ...base, date: '2026-13-01' },
      { ...base, agencyIds: [] },
      { ...base, minutes: 'x'.repeat(20001) },
      { ...base, location: 'Norrby' },
    ]) {
      const res = await t.app.inject({ method: 'POST', url: `/api/cases/${caseId}/meetings`, headers: h(), payload });
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      if ('decisions' in payload) expect(res.json().errors).toEqual([expect.objectContaining({ path: '/decisions/1/planItem/lifeArea' })]);
      if (payload.agencyIds[0] === a.police) expect(res.json().errors).toEqual([expect.objectContaining({ path: '/agencyIds/0' })]);
    }
    expect({ m: await count(t, 'meeting'), d: await count(t, 'meeting_decision'), p: await count(t, 'plan_item') }).toEqual(before);
  });

  it('lists meetings latest first, and the case shows the recent ones', async () => {
    for (const date of ['2026-11-01', '2027-01-10', '2026-12-20']) {
      await t.app.inject({
        method: 'POST',
        url: `/api/cases/${otherCaseId}/meetings`,
        headers: h(),
        payload: { date, agencyIds: [a.social], agenda: 'a', minutes: 'm' },
      });
    }
    const list = await t.app.inject({ url: `/api/cases/${otherCaseId}/meetings?pageSize=2`, headers: h() });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(list.json().items.map((m: { date: string }) => m.date)).toEqual(['2027-01-10', '2026-12-20']);
    expect(list.json().items.map((m: { authorName: string }) => m.authorName)).toEqual(['Sara Lind', 'Sara Lind']);
    const c = (await t.app.inject({ url: `/api/cases/${otherCaseId}`, headers: h() })).json();
    expect(c.recentMeetings.map((m: { date: string }) => m.date)).toEqual(['2027-01-10', '2026-12-20', '2026-11-01']);
    expect(c.planItems.map((p: { lifeArea: string }) => p.lifeArea)).toEqual(['housing']);
    expect(c.recentMeetings[0].authorName).toBe('Sara Lind');
    expect(c.planItems[0].authorName).toBe('Sara Lind');
  });
});
