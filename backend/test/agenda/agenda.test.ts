import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { birthDateFor, daysFromToday, openCase, recordConsent } from '../consents/fixtures.js';
import { agencies, count, type Agencies } from '../cases/fixtures.js';

interface Ref {
  caseId: string;
  caseNumber: string | null;
  subjectName: string | null;
  section: string;
}
interface Agenda {
  since: string | null;
  planActions: (Ref & { id: string; action: string; dueDate: string; overdue: boolean })[];
  meetings: (Ref & { id: string; date: string })[];
  consentsEnding: (Ref & { id: string; validTo: string; daysLeft: number })[];
  unread: (Ref & { count: number })[];
  closedCases: (Ref & { closedAt: string })[];
  consentsWithdrawn: number;
}

/**
 * The start page (GET /me/agenda): what waits for the caller, in the cases it may see. Every
 * case and item is decided by the decision point as a read of the case would be.
 */
describe('GET /api/me/agenda', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let a: Agencies;
  /** Open to the school: identity and the plan cross to it, and its own entries to social services. */
  let open: string;
  /** The school takes part, but no consent opens the case to it. */
  let closedToSchool: string;
  let consentOpen: string;

  const agenda = async (token: string): Promise<Agenda> => {
    const res = await t.app.inject({ url: '/api/me/agenda', headers: bearer(token) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const planItem = async (caseId: string, responsibleAgencyId: string, action: string, dueDate: string): Promise<string> => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/plan-items`,
      headers: bearer(social),
      payload: { lifeArea: 'school', goal: 'Närvaro', action, responsibleAgencyId, dueDate: daysFromToday(30) },
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;
    // A new action cannot be due in the past: age it as time would.
    await t.sql.query('UPDATE plan_item SET due_date = $1 WHERE id = $2', [dueDate, id]);
    return id;
  };
  const meeting = async (caseId: string, date: string, agencyIds: string[]): Promise<string> => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/meetings`,
      headers: bearer(social),
      payload: { date, agencyIds, agenda: 'Uppföljning', minutes: '' },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };

  beforeAll(async () => {
    t = await createTestApp();
    [social, school] = (await Promise.all(['social', 'school'].map((u) => login(t.app, u)))) as [string, string];
    a = await agencies(t);
    const adult = birthDateFor(25, 40);
    const c1 = await openCase(t.app, social, adult, {
      agencyIds: [a.school],
      serial: '311',
      subject: { firstName: 'Vilgot', lastName: 'Zetterqvist' },
    });
    open = c1.id;
    consentOpen = (
      await recordConsent(t.app, social, open, {
        givenBy: { kind: 'subject' },
        agencyIds: [a.social, a.school],
        categories: ['identity', 'plan', 'school'],
        validTo: daysFromToday(10),
      })
    ).id;
    const c2 = await openCase(t.app, social, adult, {
      agencyIds: [a.school],
      serial: '322',
      subject: { firstName: 'Hjördis', lastName: 'Qvarnström' },
    });
    closedToSchool = c2.id;
  });
  afterAll(async () => t.close());

  it('requires a session (401) and a role that has a start page (403, audited)', async () => {
    expect((await t.app.inject({ url: '/api/me/agenda' })).statusCode).toBe(401);
    const denied = await count(t, 'audit_queue', "outcome = 'denied' AND action = 'agenda.read'");
    for (const u of ['coordinator', 'auditor', 'admin']) {
      const res = await t.app.inject({ url: '/api/me/agenda', headers: bearer(await login(t.app, u)) });
      expect(res.statusCode, u).toBe(403);
    }
    expect(await count(t, 'audit_queue', "outcome = 'denied' AND action = 'agenda.read'")).toBe(denied + 3);
  });

  it('an empty start page is still audited, once', async () => {
    const before = await count(t, 'audit_queue', "action = 'agenda.read'");
    const page = await agenda(school);
    expect(page).toMatchObject({ planActions: [], meetings: [], unread: [], closedCases: [], consentsEnding: [] });
    expect(await count(t, 'audit_queue', "action = 'agenda.read'")).toBe(before + 1);
  });

  it("the caseworker sees its agency's due and overdue actions, coming meetings, consents ending and unread entries, each with a link", async () => {
    const overdue = await planItem(open, a.social, 'Hembesök hos familjen', daysFromToday(-2));
    const soon = await planItem(open, a.social, 'Ring mentorn', daysFromToday(3));
    await planItem(open, a.social, 'Långt fram', daysFromToday(60));
    const schools = await planItem(open, a.school, 'Skolans närvaroplan', daysFromToday(1));
    const m = await meeting(open, daysFromToday(5), [a.social, a.school]);
    await meeting(open, daysFromToday(40), [a.social]);
    await meeting(closedToSchool, daysFromToday(-3), [a.social]);
    const entry = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${open}/entries`,
      headers: bearer(school),
      payload: { category: 'school', text: 'Frånvaro 40 % i november.' },
    });
    expect(entry.statusCode, entry.body).toBe(201);

    const page = await agenda(social);
    expect(page.planActions.map((p) => p.id)).toEqual([overdue, soon]);
    expect(page.planActions.map((p) => p.id)).not.toContain(schools);
    expect(page.planActions[0]).toMatchObject({
      caseId: open,
      section: 'plan',
      overdue: true,
      subjectName: 'Vilgot Zetterqvist',
      action: 'Hembesök hos familjen',
    });
    expect(page.planActions[0]!.caseNumber).toMatch(/^SSPF-\d{4}-\d{4,}$/);
    expect(page.planActions[1]!.overdue).toBe(false);
    expect(page.meetings).toEqual([expect.objectContaining({ id: m, caseId: open, section: 'meetings', date: daysFromToday(5) })]);
    expect(page.consentsEnding).toEqual([expect.objectContaining({ id: consentOpen, caseId: open, section: 'consents', daysLeft: 10 })]);
    expect(page.unread).toEqual([expect.objectContaining({ caseId: open, section: 'journal', count: 1 })]);

    // Reading the case marks it seen: the entry is no longer new.
    expect((await t.app.inject({ url: `/api/cases/${open}`, headers: bearer(social) })).statusCode).toBe(200);
    expect((await agenda(social)).unread).toEqual([]);
  });

  it('a planned meeting shows its start time; a cancelled one is not shown', async () => {
    const startsAt = `${daysFromToday(6)}T08:30:00.000Z`;
    const planned = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${open}/meetings`,
      headers: bearer(social),
      payload: {
        status: 'planned',
        startsAt,
        endsAt: `${daysFromToday(6)}T09:30:00.000Z`,
        place: 'Rum 3',
        agencyIds: [a.social, a.school],
        agenda: 'Planering',
      },
    });
    expect(planned.statusCode, planned.body).toBe(201);
    const id = planned.json().id as string;
    expect((await agenda(social)).meetings.find((m) => m.id === id)).toMatchObject({ startsAt, section: 'meetings' });
    const cancel = await t.app.inject({
      method: 'PATCH',
      url: `/api/cases/${open}/meetings/${id}`,
      headers: bearer(social),
      payload: { status: 'cancelled' },
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect((await agenda(social)).meetings.map((m) => m.id)).not.toContain(id);
  });

  it('is audited: one event per case shown, with the consents relied on for a partner, and ledger rows for what crossed', async () => {
    const rid = (await t.app.inject({ url: '/api/me/agenda', headers: bearer(school) })).headers['x-request-id'] as string;
    const { rows } = await t.sql.query("SELECT case_id, consent_ids FROM audit_queue WHERE request_id = $1 AND action = 'agenda.read'", [
      rid,
    ]);
    expect(rows.map((r) => r.case_id)).toEqual([open]);
    expect(rows[0].consent_ids).toContain(consentOpen);
    expect(await count(t, 'disclosure', 'request_id = $1 AND case_id = $2 AND to_agency_id = $3', [rid, open, a.school])).toBeGreaterThan(
      0,
    );
  });

  it('a partner sees its own actions and the meetings of the cases the consent opens to it, nothing of the others', async () => {
    await planItem(closedToSchool, a.school, 'Dold åtgärd', daysFromToday(0));
    const page = await agenda(school);
    expect(page.planActions.map((p) => p.action)).toEqual(['Skolans närvaroplan']);
    expect(page.planActions[0]).toMatchObject({ caseId: open, subjectName: 'Vilgot Zetterqvist' });
    expect(page.meetings.map((m) => m.caseId)).toEqual([open]);
    expect(page.consentsEnding).toEqual([]);
    const text = JSON.stringify(page);
    expect(text).not.toContain(closedToSchool);
    expect(text).not.toContain('Qvarnström');
    expect(text).not.toContain('Dold åtgärd');
  });

  it('since the previous sign-in: withdrawn consents naming my agency are counted, and cases closed are listed while I may still see them', async () => {
    const first = await login(t.app, 'school');
    expect((await agenda(first)).consentsWithdrawn).toBe(0);
    // A second case, open to the school by its own consent, is closed; the first case's consent is withdrawn.
    const c3 = await openCase(t.app, social, birthDateFor(30), {
      agencyIds: [a.school],
      serial: '333',
      subject: { firstName: 'Ture', lastName: 'Björkqvist' },
    });
    await recordConsent(t.app, social, c3.id, { givenBy: { kind: 'subject' }, agencyIds: [a.social, a.school], categories: ['identity'] });
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/cases/${c3.id}/close`, headers: bearer(social), payload: { outcome: 'goals_met' } }))
        .statusCode,
    ).toBeLessThan(300);
    const w = await t.app.inject({
      method: 'POST',
      url: `/api/consents/${consentOpen}/withdraw`,
      headers: bearer(social),
      payload: { reason: 'Återkallat muntligt.' },
    });
    expect(w.statusCode, w.body).toBe(200);

    const next = await login(t.app, 'school');
    const page = await agenda(next);
    expect(page.since).not.toBeNull();
    expect(page.consentsWithdrawn).toBe(1);
    expect(page.closedCases).toEqual([expect.objectContaining({ caseId: c3.id, section: 'overview', subjectName: 'Ture Björkqvist' })]);
    // The withdrawal closed the first case to the school: nothing of it is shown any more.
    expect(JSON.stringify(page)).not.toContain(open);
  });
});
