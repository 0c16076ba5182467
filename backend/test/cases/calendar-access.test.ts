import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, stockholmDate } from '../../src/modules/consents/calendar.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { birthDateFor, openCase, recordConsent, type TestCase } from '../consents/fixtures.js';
import { agencies, type Agencies } from './fixtures.js';

const at = (days: number, hour: number): string =>
  `${addDays(stockholmDate(new Date()), days)}T${String(hour).padStart(2, '0')}:00:00.000Z`;

/**
 * The calendar decides access for all its cases in one statement (CaseAccessService.loadMany):
 * the answer and its audit trail must be those of deciding each case on its own.
 */
describe('GET /api/meetings decides every case of the window as a read of that case would', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let a: Agencies;
  /** The school takes part under a consent that names it, and is invited. */
  const consented: TestCase[] = [];
  /** The school takes part and is invited, but no consent opens the case to it. */
  let unconsented: TestCase;
  const url = `/api/meetings?from=${stockholmDate(new Date())}&to=${addDays(stockholmDate(new Date()), 30)}`;

  const planMeeting = async (c: TestCase, days: number): Promise<string> => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${c.id}/meetings`,
      headers: bearer(social),
      payload: {
        startsAt: at(days, 8),
        endsAt: at(days, 9),
        place: 'Rum 3',
        agencyIds: [a.social, a.school],
        invitees: [],
        agenda: 'Zqkalender',
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const audited = async (requestId: string) =>
    (
      await t.sql.query<{ action: string; case_id: string; outcome: string; reason: string | null; consent_ids: string[] }>(
        'SELECT action, case_id, outcome, reason, consent_ids FROM audit_queue WHERE request_id = $1 ORDER BY action, case_id',
        [requestId],
      )
    ).rows;

  beforeAll(async () => {
    t = await createTestApp();
    [social, school] = await Promise.all([login(t.app, 'social'), login(t.app, 'school')]);
    a = await agencies(t);
    for (const serial of ['411', '422', '433']) {
      const c = await openCase(t.app, social, birthDateFor(22), { agencyIds: [a.school], serial, subject: { lastName: 'Kalendersson' } });
      await recordConsent(t.app, social, c.id, {
        givenBy: { kind: 'subject' },
        agencyIds: [a.social, a.school],
        categories: ['identity', 'plan'],
      });
      consented.push(c);
    }
    unconsented = await openCase(t.app, social, birthDateFor(23), { agencyIds: [a.school], serial: '444', subject: { lastName: 'Dolde' } });
    for (const [i, c] of [...consented, unconsented].entries()) {
      await planMeeting(c, 2 + i);
      await planMeeting(c, 10 + i);
    }
  });
  afterAll(async () => t.close());

  it('the owner: every case with its meetings, one allowed event per case, nothing denied', async () => {
    const res = await t.app.inject({ url, headers: bearer(social) });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { caseId: string; caseNumber: string | null }[];
    const cases = [...consented, unconsented].map((c) => c.id).sort();
    expect([...new Set(items.map((i) => i.caseId))].sort()).toEqual(cases);
    expect(items.every((i) => i.caseNumber !== null)).toBe(true);
    const events = await audited(res.headers['x-request-id'] as string);
    expect(events.filter((e) => e.outcome === 'denied')).toEqual([]);
    expect(events.filter((e) => e.action === 'meeting.calendar').map((e) => e.case_id)).toEqual(cases);
  });

  it('a partner: only the consented cases; each audited once with its consent, the ledger filled; the closed case denied and audited', async () => {
    const res = await t.app.inject({ url, headers: bearer(school) });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { caseId: string; meeting: { date: string } }[];
    const shown = consented.map((c) => c.id).sort();
    expect([...new Set(items.map((i) => i.caseId))].sort()).toEqual(shown);
    expect(items).toHaveLength(2 * consented.length);
    expect(items.map((i) => i.meeting.date)).toEqual(items.map((i) => i.meeting.date).sort());
    expect(res.body).not.toContain(unconsented.id);
    expect(res.body).not.toContain('Dolde');

    const rid = res.headers['x-request-id'] as string;
    const events = await audited(rid);
    const allowed = events.filter((e) => e.action === 'meeting.calendar');
    expect(allowed.map((e) => e.case_id)).toEqual(shown);
    expect(allowed.every((e) => e.outcome === 'allowed' && e.consent_ids.length > 0)).toBe(true);
    expect(events.filter((e) => e.outcome === 'denied').map((e) => [e.action, e.case_id])).toEqual([['case.read', unconsented.id]]);
    const ledger = await t.sql.query<{ case_id: string; n: number }>(
      "SELECT case_id, count(*)::int AS n FROM disclosure WHERE request_id = $1 AND item_type = 'meeting' AND to_agency_id = $2 GROUP BY 1 ORDER BY 1",
      [rid, a.school],
    );
    expect(ledger.rows).toEqual(shown.map((id) => ({ case_id: id, n: 2 })));
  });

  it('a partner whose consent is withdrawn loses that case on the next request', async () => {
    const [first] = consented;
    const consent = await t.sql.query<{ id: string }>('SELECT id FROM consent WHERE case_id = $1', [first!.id]);
    const withdrawn = await t.app.inject({
      method: 'POST',
      url: `/api/consents/${consent.rows[0]!.id}/withdraw`,
      headers: bearer(social),
      payload: { reason: 'Återkallat muntligt.' },
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    const res = await t.app.inject({ url, headers: bearer(school) });
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json().items as { caseId: string }[]).some((i) => i.caseId === first!.id)).toBe(false);
    const events = await audited(res.headers['x-request-id'] as string);
    expect(
      events
        .filter((e) => e.outcome === 'denied')
        .map((e) => e.case_id)
        .sort(),
    ).toEqual([first!.id, unconsented.id].sort());
  });
});
