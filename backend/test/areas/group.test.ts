import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockholmDate, addDays } from '../../src/modules/consents/calendar.js';
import { createTestApp, login, type TestContext } from '../helpers/app.js';
import { auditRows, call, count, observation } from './fixtures.js';

interface Action {
  id: string;
  status: string;
  followUp: string | null;
  meetingId: string | null;
}
interface Meeting {
  id: string;
  status: string;
  agenda: { since: string | null; observations: { id: string }[]; openActions: Action[] };
  actions: Action[];
}

describe('group meetings, group-level actions and the area picture', () => {
  let t: TestContext;
  let leisure: string;
  let police: string;
  let social: string;
  let coordinator: string;
  let auditor: string;
  let policeAgency: string;
  let leisureAgency: string;
  let itAgency: string;
  const today = stockholmDate(new Date());

  const observe = async (token: string, over: Record<string, unknown> = {}): Promise<string> => {
    const res = await call(t, token, 'POST', '/api/areas/Norrby/observations', observation(over));
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };

  beforeAll(async () => {
    t = await createTestApp();
    [leisure, police, social, coordinator, auditor] = (await Promise.all(
      ['leisure', 'police', 'social', 'coordinator', 'auditor'].map((u) => login(t.app, u)),
    )) as [string, string, string, string, string];
    const kinds = (await t.sql.query<{ id: string; kind: string }>('SELECT id, kind FROM agency')).rows;
    policeAgency = kinds.find((k) => k.kind === 'police')!.id;
    leisureAgency = kinds.find((k) => k.kind === 'leisure')!.id;
    itAgency = kinds.find((k) => k.kind === 'other')!.id;
  });
  afterAll(async () => t.close());

  it('answers 401 without a session on every route', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    for (const [method, url] of [
      ['GET', `/api/areas/Norrby/meetings/${id}`],
      ['POST', '/api/areas/Norrby/meetings'],
      ['PATCH', `/api/areas/Norrby/meetings/${id}`],
      ['POST', '/api/areas/Norrby/actions'],
      ['PATCH', `/api/group-actions/${id}`],
    ] as const) {
      expect((await call(t, null, method, url, method === 'GET' ? undefined : {})).statusCode, url).toBe(401);
    }
  });

  it('runs a meeting: agenda from the observations since the last one, decisions become actions followed up next time', async () => {
    const first = [await observe(leisure), await observe(police, { category: 'drugs' })];
    const planned = await call(t, coordinator, 'POST', '/api/areas/Norrby/meetings', { date: today, notes: 'Lägesbild Norrby' });
    expect(planned.statusCode, planned.body).toBe(201);
    const m1 = planned.json() as Meeting;
    expect(m1).toMatchObject({ status: 'planned', agenda: { since: null, openActions: [] }, actions: [] });
    expect(m1.agenda.observations.map((o) => o.id).sort()).toEqual(first.sort());

    const held = await call(t, coordinator, 'PATCH', `/api/areas/Norrby/meetings/${m1.id}`, {
      status: 'held',
      minutes: 'Samlingar vid torget fredagskvällar.',
      decisions: [{ text: 'Fältassistenter vid torget fredagar 20–23' }],
    });
    expect(held.statusCode, held.body).toBe(200);
    expect(held.json()).toMatchObject({ status: 'held', decisions: [{ text: 'Fältassistenter vid torget fredagar 20–23' }] });

    const action = await call(t, coordinator, 'POST', '/api/areas/Norrby/actions', {
      what: 'Fältassistenter vid torget fredagar 20–23',
      place: 'Norrby torg',
      agencyId: leisureAgency,
      dueDate: addDays(today, 14),
      meetingId: m1.id,
    });
    expect(action.statusCode, action.body).toBe(201);
    const a1 = action.json() as Action;
    expect(a1).toMatchObject({ status: 'open', meetingId: m1.id, agencyName: 'Fritidsgården Norrby' });
    const m1Again = (await call(t, police, 'GET', `/api/areas/Norrby/meetings/${m1.id}`)).json() as Meeting;
    expect(m1Again.actions.map((a) => a.id)).toEqual([a1.id]);
    expect(m1Again.agenda.observations.map((o) => o.id).sort()).toEqual(first.sort());

    const later = await observe(police, { category: 'positive' });
    const nextRes = await call(t, coordinator, 'POST', '/api/areas/Norrby/meetings', { date: addDays(today, 7) });
    expect(nextRes.statusCode, nextRes.body).toBe(201);
    const next = nextRes.json() as Meeting;
    expect(next.agenda.since).not.toBeNull();
    expect(next.agenda.observations.map((o) => o.id)).toEqual([later]);
    expect(next.agenda.openActions.map((a) => a.id)).toEqual([a1.id]);
    // Not held before its day.
    const early = await call(t, coordinator, 'PATCH', `/api/areas/Norrby/meetings/${next.id}`, { status: 'held' });
    expect(early.statusCode).toBe(400);
    expect(early.json().errors).toEqual([{ path: '/status', message: expect.any(String) }]);

    const done = await call(t, coordinator, 'PATCH', `/api/group-actions/${a1.id}`, {
      status: 'done',
      followUp: 'Genomfört fyra fredagar, lugnare.',
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ status: 'done', followUp: 'Genomfört fyra fredagar, lugnare.' });
    const after = (await call(t, coordinator, 'GET', `/api/areas/Norrby/meetings/${next.id}`)).json() as Meeting;
    expect(after.agenda.openActions).toEqual([]);

    for (const [action, n] of [
      ['area.meeting.create', 2],
      ['area.meeting.held', 1],
      ['area.action.create', 1],
      ['area.action.update', 1],
      ['area.meeting.read', 2],
    ] as const)
      expect(
        (await auditRows(t, action)).filter((r) => r.outcome === 'allowed'),
        action,
      ).toHaveLength(n);
  });

  it('draws the picture: counts per week and category, open actions, the last meetings, the agencies of the area', async () => {
    await observe(leisure, { observedAt: '2026-06-03T19:00:00Z', category: 'vandalism' });
    await observe(police, { observedAt: '2026-06-04T19:00:00Z', category: 'vandalism' });
    await observe(police, { observedAt: '2026-06-09T19:00:00Z', category: 'weapons' });
    const res = await call(t, social, 'GET', '/api/areas/Norrby?from=2026-06-01&to=2026-06-14');
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json();
    expect(p).toMatchObject({ area: 'Norrby', from: '2026-06-01', to: '2026-06-14' });
    expect(p.weeks).toEqual([
      { weekStart: '2026-06-01', category: 'vandalism', count: 2 },
      { weekStart: '2026-06-08', category: 'weapons', count: 1 },
    ]);
    expect(p.meetings.length).toBe(2);
    expect(p.agencies.map((a: { kind: string }) => a.kind).sort()).toEqual(['leisure', 'police', 'school', 'social_services']);
    expect(p.categories).toHaveLength(7);
    const year = (await call(t, social, 'GET', '/api/areas/Norrby')).json();
    expect(year.weeks.length).toBeGreaterThan(0);
    expect(res.body + JSON.stringify(year)).not.toMatch(/caseId|subjectId|recordedBy|createdBy/);
    expect((await auditRows(t, 'area.read')).filter((r) => r.outcome === 'allowed')).toHaveLength(2);
    for (const q of ['from=2026-06-14&to=2026-06-01', 'from=2020-01-01&to=2026-06-01', 'from=juni'])
      expect((await call(t, social, 'GET', `/api/areas/Norrby?${q}`)).statusCode, q).toBe(400);
  });

  it('lets only the coordinator run meetings and actions (403 audited); another area’s items answer 404', async () => {
    const mBefore = await count(t, 'area_meeting');
    for (const token of [leisure, police, social])
      expect((await call(t, token, 'POST', '/api/areas/Norrby/meetings', { date: today })).statusCode).toBe(403);
    expect((await call(t, auditor, 'GET', '/api/areas/Norrby')).statusCode).toBe(403);
    expect((await auditRows(t, 'area.meeting.write')).filter((r) => r.outcome === 'denied' && r.reason === 'role')).toHaveLength(3);
    const actionBody = { what: 'Extra polispatrull', place: 'Hässleholmens centrum', agencyId: policeAgency, dueDate: addDays(today, 7) };
    expect((await call(t, police, 'POST', '/api/areas/Hässleholmen/actions', actionBody)).statusCode).toBe(403);
    const hass = await call(t, coordinator, 'POST', `/api/areas/${encodeURIComponent('Hässleholmen')}/actions`, actionBody);
    expect(hass.statusCode, hass.body).toBe(201);
    const id = hass.json().id as string;
    expect((await call(t, leisure, 'PATCH', `/api/group-actions/${id}`, { status: 'done' })).statusCode).toBe(403);
    // A meeting of Norrby addressed under Hulta: as if it did not exist.
    const m = (await call(t, coordinator, 'POST', '/api/areas/Norrby/meetings', { date: today })).json() as Meeting;
    expect((await call(t, coordinator, 'PATCH', `/api/areas/Hulta/meetings/${m.id}`, { minutes: 'x' })).statusCode).toBe(404);
    expect((await call(t, coordinator, 'GET', `/api/areas/Hulta/meetings/${m.id}`)).statusCode).toBe(404);
    const missing = '00000000-0000-4000-8000-0000000000ab';
    expect((await call(t, coordinator, 'PATCH', `/api/group-actions/${missing}`, { status: 'done' })).statusCode).toBe(404);
    expect((await auditRows(t, 'area.action.write')).map((r) => [r.outcome, r.reason])).toContainEqual(['denied', 'not_found']);
    // Once the coordinator's agency no longer works in Hässleholmen, its action is not the coordinator's to see.
    await t.sql.query("UPDATE agency SET areas = '{Norrby}' WHERE id = (SELECT agency_id FROM app_user WHERE username = 'coordinator')");
    expect((await call(t, coordinator, 'PATCH', `/api/group-actions/${id}`, { status: 'done' })).statusCode).toBe(404);
    expect((await auditRows(t, 'area.action.write')).map((r) => [r.outcome, r.reason])).toContainEqual(['denied', 'not_in_area']);
    await t.sql.query("UPDATE agency SET areas = $1 WHERE id = (SELECT agency_id FROM app_user WHERE username = 'coordinator')", [
      (await t.sql.query('SELECT areas FROM agency WHERE id = $1', [policeAgency])).rows[0].areas,
    ]);
    expect(await count(t, 'area_meeting')).toBe(mBefore + 1);
  });

  it('refuses bad meeting and action input with 400, storing nothing', async () => {
    const m = (await call(t, coordinator, 'POST', '/api/areas/Norrby/meetings', { date: today })).json() as Meeting;
    const [meetings, actions] = [await count(t, 'area_meeting'), await count(t, 'group_action')];
    const good = { what: 'Nattvandring', place: 'Norrby torg', agencyId: leisureAgency, dueDate: addDays(today, 7) };
    const bad: [string, string, Record<string, unknown>, string?][] = [
      ['POST', '/api/areas/Atlantis/meetings', { date: today }],
      ['POST', '/api/areas/Norrby/meetings', { date: 'nästa fredag' }],
      ['POST', '/api/areas/Norrby/meetings', { date: today, notes: 'Om 20050101-2384' }, '/notes'],
      ['PATCH', `/api/areas/Norrby/meetings/${m.id}`, {}],
      ['PATCH', `/api/areas/Norrby/meetings/${m.id}`, { status: 'planned' }],
      ['PATCH', `/api/areas/Norrby/meetings/${m.id}`, { decisions: [{ text: 'Kontakta 0501012384' }] }, '/decisions/0/text'],
      ['PATCH', `/api/areas/Norrby/meetings/${m.id}`, { minutes: 'Pojken 050101-2384 syntes' }, '/minutes'],
      ['POST', '/api/areas/Norrby/actions', { ...good, agencyId: itAgency }, '/agencyId'],
      ['POST', '/api/areas/Norrby/actions', { ...good, meetingId: '00000000-0000-4000-8000-000000000000' }, '/meetingId'],
      ['POST', '/api/areas/Norrby/actions', { ...good, what: 'Stöd till 200501612385' }, '/what'],
      ['POST', '/api/areas/Norrby/actions', { ...good, dueDate: '2026-13-01' }],
      ['POST', '/api/areas/Norrby/actions', { ...good, who: 'Kalle' }],
      ['PATCH', '/api/group-actions/00000000-0000-4000-8000-000000000000', { status: 'maybe' }],
      ['PATCH', '/api/group-actions/00000000-0000-4000-8000-000000000000', {}],
    ];
    for (const [method, url, body, path] of bad) {
      const res = await call(t, coordinator, method as 'POST' | 'PATCH', url, body);
      expect(res.statusCode, `${url} ${JSON.stringify(body)} ${res.body}`).toBe(400);
      if (path) expect(res.json().errors).toEqual([{ path, message: expect.any(String) }]);
    }
    // An agency that does not work in Hulta cannot carry out a Hulta action.
    const hulta = await call(t, coordinator, 'POST', '/api/areas/Hulta/actions', good);
    expect(hulta.statusCode).toBe(400);
    expect(hulta.json().errors).toEqual([{ path: '/agencyId', message: expect.stringMatching(/does not work in this area/) }]);
    expect([await count(t, 'area_meeting'), await count(t, 'group_action')]).toEqual([meetings, actions]);
    const unchanged = (await call(t, coordinator, 'GET', `/api/areas/Norrby/meetings/${m.id}`)).json();
    expect(unchanged).toMatchObject({ minutes: null, decisions: [], status: 'planned' });
  });
});
