import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, stockholmDate } from '../../src/modules/consents/calendar.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { birthDateFor, openCase, recordConsent, type TestCase } from '../consents/fixtures.js';
import { agencies, count, deniedCount, type Agencies } from './fixtures.js';

/** An instant `days` days from now at `hour`:00 UTC. */
const at = (days: number, hour: number): string =>
  `${addDays(stockholmDate(new Date()), days)}T${String(hour).padStart(2, '0')}:00:00.000Z`;
/** A problem's machine code, as the answer's `type` carries it. */
const code = (c: string): string => `urn:samverka:problem:${c}`;
const SUBJECT = { firstName: 'Mötessson', lastName: 'Zqnamn' };

describe('meetings that are planned, then held; the calendar; .ics invitations', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let police: string;
  let a: Agencies;
  let shared: TestCase;
  let unconsented: TestCase;
  let caseNumber: string;
  const h = (token: string) => bearer(token);
  const plan = (c: TestCase, payload: Record<string, unknown>, token = social) =>
    t.app.inject({ method: 'POST', url: `/api/cases/${c.id}/meetings`, headers: h(token), payload });
  const patch = (c: TestCase, id: string, payload: Record<string, unknown>, token = social) =>
    t.app.inject({ method: 'PATCH', url: `/api/cases/${c.id}/meetings/${id}`, headers: h(token), payload });
  const planned = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    startsAt: at(7, 8),
    endsAt: at(7, 9),
    place: 'Socialkontoret, rum 3',
    agencyIds: [a.social, a.school],
    invitees: ['Kim Kurator'],
    agenda: 'Zqagenda skolgång',
    ...extra,
  });

  beforeAll(async () => {
    t = await createTestApp();
    [social, school, police] = await Promise.all([login(t.app, 'social'), login(t.app, 'school'), login(t.app, 'police')]);
    a = await agencies(t);
    shared = await openCase(t.app, social, birthDateFor(20), { agencyIds: [a.school, a.police], subject: SUBJECT });
    unconsented = await openCase(t.app, social, birthDateFor(19), { agencyIds: [a.school], serial: '234', subject: SUBJECT });
    await recordConsent(t.app, social, shared.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.school],
      categories: ['identity', 'plan'],
    });
    caseNumber = (await t.sql.query('SELECT case_number FROM support_case WHERE id = $1', [shared.id])).rows[0].case_number;
  });
  afterAll(async () => t.close());

  it('answers 401 without a session on every new route', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, url] of [
      ['PATCH', `/api/cases/${shared.id}/meetings/${id}`],
      ['GET', '/api/meetings'],
      ['GET', `/api/cases/${shared.id}/meetings/${id}/invite.ics`],
      ['POST', `/api/cases/${shared.id}/meetings`],
    ] as const) {
      const res = await t.app.inject({ method, url, payload: method === 'GET' ? undefined : { status: 'cancelled' } });
      expect(res.statusCode, url).toBe(401);
    }
  });

  it('plans a meeting (planned without minutes), and an old-style record is still held, with the plan as it stood', async () => {
    const res = await plan(shared, planned());
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      status: 'planned',
      startsAt: at(7, 8),
      endsAt: at(7, 9),
      place: 'Socialkontoret, rum 3',
      invitees: ['Kim Kurator'],
      minutes: '',
      decisions: [],
      attendedAgencyIds: [],
      planSnapshot: null,
    });
    expect(res.json().date).toBe(stockholmDate(new Date(at(7, 8))));

    const old = await plan(shared, { date: '2026-11-20', agencyIds: [a.social], people: ['Elin'], agenda: 'a', minutes: 'Zqminutes' });
    expect(old.statusCode).toBe(201);
    expect(old.json()).toMatchObject({
      status: 'held',
      startsAt: null,
      place: null,
      attendedAgencyIds: [a.social],
      attendedPeople: ['Elin'],
      planSnapshot: [],
    });
  });

  it('refuses bad meetings with 400 and writes nothing', async () => {
    const before = await count(t, 'meeting');
    const cases: [Record<string, unknown>, string][] = [
      [planned({ endsAt: at(7, 7) }), 'meeting_ends_before_start'],
      [planned({ endsAt: at(7, 8) }), 'meeting_ends_before_start'],
      [planned({ startsAt: at(-2, 8), endsAt: at(-2, 9) }), 'meeting_in_past'],
      [planned({ startsAt: undefined, endsAt: undefined, date: addDays(stockholmDate(new Date()), 3) }), 'meeting_time_required'],
      [planned({ endsAt: undefined }), 'meeting_time_required'],
      [planned({ minutes: 'x', status: 'planned' }), 'meeting_not_held'],
      [planned({ status: 'cancelled' }), 'meeting_status_invalid'],
      [planned({ date: '2020-01-01' }), 'meeting_date_mismatch'],
      [{ ...planned(), status: 'held' }, 'meeting_minutes_required'],
    ];
    for (const [payload, expected] of cases) {
      const res = await plan(shared, payload);
      expect(res.statusCode, expected).toBe(400);
      expect(res.json().type, expected).toBe(code(expected));
    }
    expect((await plan(shared, planned({ place: '' }))).statusCode).toBe(400);
    expect(await count(t, 'meeting')).toBe(before);
  });

  it('moves a planned meeting (the invitation sequence goes up), refuses a move into the past or an end before the start', async () => {
    const m = (await plan(shared, planned())).json();
    const moved = await patch(shared, m.id, { startsAt: at(8, 12), endsAt: at(8, 13), place: 'digital' });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({
      status: 'planned',
      startsAt: at(8, 12),
      endsAt: at(8, 13),
      place: 'digital',
      date: stockholmDate(new Date(at(8, 12))),
    });
    expect((await patch(shared, m.id, { startsAt: at(-1, 8), endsAt: at(-1, 9) })).json().type).toBe(code('meeting_in_past'));
    expect((await patch(shared, m.id, { endsAt: at(8, 11) })).json().type).toBe(code('meeting_ends_before_start'));
    expect((await patch(shared, m.id, { minutes: 'x' })).json().type).toBe(code('meeting_not_held'));
    expect((await patch(shared, m.id, {})).statusCode).toBe(400);
    const ics = await t.app.inject({ url: `/api/cases/${shared.id}/meetings/${m.id}/invite.ics`, headers: h(social) });
    expect(ics.body).toContain('SEQUENCE:1\r\n');
    expect(ics.body).toContain('LOCATION:Digitalt möte\r\n');
  });

  it('holds a meeting: attendance, minutes, a decision that becomes a plan action, the plan snapshot; audited; then it no longer moves (409)', async () => {
    const m = (await plan(shared, planned())).json();
    const items = await count(t, 'plan_item', 'case_id = $1', [shared.id]);
    const res = await patch(shared, m.id, {
      status: 'held',
      attendance: { agencyIds: [a.social, a.school], people: ['Kim Kurator'] },
      minutes: 'Zqminutes held',
      decisions: [
        { text: 'Läxhjälp', planItem: { lifeArea: 'school', goal: 'Klara matte', action: 'Läxhjälp', responsibleAgencyId: a.school } },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const held = res.json();
    expect(held).toMatchObject({ status: 'held', minutes: 'Zqminutes held', attendedPeople: ['Kim Kurator'] });
    expect(held.attendedAgencyIds.sort()).toEqual([a.social, a.school].sort());
    expect(await count(t, 'plan_item', 'case_id = $1', [shared.id])).toBe(items + 1);
    expect(held.planSnapshot.map((p: { id: string }) => p.id)).toContain(held.decisions[0].planItemId);
    const { rows } = await t.sql.query(
      "SELECT action FROM audit_queue WHERE case_id = $1 AND action IN ('meeting.hold', 'plan_item.create') ORDER BY id DESC LIMIT 2",
      [shared.id],
    );
    expect(rows.map((r) => r.action).sort()).toEqual(['meeting.hold', 'plan_item.create']);

    expect((await patch(shared, m.id, { startsAt: at(9, 8), endsAt: at(9, 9) })).statusCode).toBe(409);
    const cancel = await patch(shared, m.id, { status: 'cancelled' });
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().type).toBe(code('meeting_held'));
    // Holding needs minutes and attendance.
    const other = (await plan(shared, planned())).json();
    expect((await patch(shared, other.id, { status: 'held', attendance: { agencyIds: [a.social] } })).json().type).toBe(
      code('meeting_minutes_required'),
    );
    expect((await patch(shared, other.id, { status: 'held', minutes: 'm' })).json().type).toBe(code('meeting_attendance_required'));
    expect((await patch(shared, other.id, { status: 'held', minutes: 'm', attendance: { agencyIds: [a.leisure] } })).json().type).toBe(
      code('agency_not_in_case'),
    );
  });

  it('cancels a planned meeting (the invitation becomes a cancellation); a cancelled meeting no longer changes (409)', async () => {
    const m = (await plan(shared, planned())).json();
    expect((await patch(shared, m.id, { status: 'cancelled', place: 'x' })).json().type).toBe(code('meeting_cancel_alone'));
    const res = await patch(shared, m.id, { status: 'cancelled' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('cancelled');
    expect((await patch(shared, m.id, { startsAt: at(9, 8), endsAt: at(9, 9) })).json().type).toBe(code('meeting_cancelled'));
    expect((await patch(shared, m.id, { status: 'held', minutes: 'm', attendance: { agencyIds: [a.social] } })).statusCode).toBe(409);
    const ics = await t.app.inject({ url: `/api/cases/${shared.id}/meetings/${m.id}/invite.ics`, headers: h(social) });
    expect(ics.body).toContain('METHOD:CANCEL\r\n');
    expect(ics.body).toContain('STATUS:CANCELLED\r\n');
  });

  it('the invitation carries the case number, place and time, and no names or agenda', async () => {
    const m = (
      await plan(shared, planned({ place: 'Stadshuset, sal Ö; plan 2, vid receptionen och den långa korridoren mot biblioteket' }))
    ).json();
    const res = await t.app.inject({ url: `/api/cases/${shared.id}/meetings/${m.id}/invite.ics`, headers: h(school) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/calendar/);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.body;
    expect(body.split('\r\n').slice(0, 5)).toEqual([
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Samverka//Natverksmote//SV',
      'CALSCALE:GREGORIAN',
      'METHOD:REQUEST',
    ]);
    expect(body.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(body.replace(/\r\n/g, '')).not.toContain('\n');
    for (const line of body.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    const unfolded = body.replace(/\r\n /g, '');
    expect(unfolded).toContain(`SUMMARY:Nätverksmöte ${caseNumber}\r\n`);
    expect(unfolded).toContain(`UID:${m.id}@samverka\r\n`);
    expect(unfolded).toContain(`DTSTART:${at(7, 8).replace(/[-:]/g, '').replace('.000', '')}\r\n`);
    expect(unfolded).toContain('LOCATION:Stadshuset\\, sal Ö\\; plan 2\\, vid receptionen och den långa korridoren mot biblioteket\r\n');
    expect(unfolded).toMatch(/DTSTAMP:\d{8}T\d{6}Z\r\n/);
    for (const text of ['Mötessson', 'Zqnamn', 'Kim Kurator', 'Zqagenda', 'Sara Lind']) expect(body).not.toContain(text);
    expect(await count(t, 'audit_queue', "action = 'meeting.invite' AND resource_id = $1 AND outcome = 'allowed'", [m.id])).toBe(1);
  });

  it('a partner without consent, or a meeting of another case, answers 404 (audited); a partner cannot change meetings', async () => {
    const m = (await plan(unconsented, planned())).json();
    let denied = await deniedCount(t);
    expect((await t.app.inject({ url: `/api/cases/${unconsented.id}/meetings/${m.id}/invite.ics`, headers: h(school) })).statusCode).toBe(
      404,
    );
    expect(await deniedCount(t)).toBe(denied + 1);
    denied = await deniedCount(t);
    expect((await t.app.inject({ url: `/api/cases/${shared.id}/meetings/${m.id}/invite.ics`, headers: h(social) })).statusCode).toBe(404);
    expect((await patch(shared, m.id, { status: 'cancelled' })).statusCode).toBe(404);
    expect(await deniedCount(t)).toBe(denied + 2);
    expect((await patch(unconsented, m.id, { status: 'cancelled' }, school)).statusCode).toBe(404);
    const shm = (await plan(shared, planned())).json();
    expect((await patch(shared, shm.id, { status: 'cancelled' }, school)).statusCode).toBe(404);
    expect((await t.sql.query('SELECT status FROM meeting WHERE id = ANY($1)', [[m.id, shm.id]])).rows.map((r) => r.status)).toEqual([
      'planned',
      'planned',
    ]);
  });

  it('the calendar: the window is checked, the owner sees its cases, a partner only consented cases that invite it; audited per case', async () => {
    const from = stockholmDate(new Date());
    expect((await t.app.inject({ url: `/api/meetings?from=${from}&to=${addDays(from, 62)}`, headers: h(social) })).json().type).toBe(
      code('calendar_window'),
    );
    expect((await t.app.inject({ url: `/api/meetings?from=${from}&to=${addDays(from, -1)}`, headers: h(social) })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/meetings?from=tomorrow', headers: h(social) })).statusCode).toBe(400);
    const auditor = await login(t.app, 'auditor');
    expect((await t.app.inject({ url: '/api/meetings', headers: h(auditor) })).statusCode).toBe(403);

    const notInvited = (await plan(shared, planned({ agencyIds: [a.social, a.police], startsAt: at(3, 8), endsAt: at(3, 9) }))).json();
    const url = `/api/meetings?from=${from}&to=${addDays(from, 61)}`;
    const own = await t.app.inject({ url, headers: h(social) });
    expect(own.statusCode).toBe(200);
    const ownItems = own.json().items as { caseId: string; caseNumber: string; meeting: { id: string; date: string } }[];
    expect(new Set(ownItems.map((i) => i.caseId))).toEqual(new Set([shared.id, unconsented.id]));
    expect(ownItems.find((i) => i.caseId === shared.id)!.caseNumber).toBe(caseNumber);
    expect(ownItems.map((i) => i.meeting.date)).toEqual([...ownItems.map((i) => i.meeting.date)].sort());
    expect(ownItems.every((i) => i.meeting.date >= from)).toBe(true);

    const before = await count(t, 'audit_queue', "action = 'meeting.calendar' AND outcome = 'allowed'");
    const partner = await t.app.inject({ url, headers: h(school) });
    expect(partner.statusCode).toBe(200);
    const items = partner.json().items as { caseId: string; meeting: { id: string; agencyIds: string[] } }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.caseId === shared.id && i.meeting.agencyIds.includes(a.school))).toBe(true);
    expect(items.some((i) => i.meeting.id === notInvited.id)).toBe(false);
    // The police is not named in the consent: not named to the school either.
    expect(partner.body).not.toContain(a.police);
    expect(partner.body).not.toContain('Mötessson');
    expect(await count(t, 'audit_queue', "action = 'meeting.calendar' AND outcome = 'allowed'")).toBe(before + 1);
    // The police takes part but has no consent: nothing.
    expect((await t.app.inject({ url, headers: h(police) })).json().items).toEqual([]);
  });
});
