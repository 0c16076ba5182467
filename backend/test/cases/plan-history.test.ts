import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { birthDateFor, daysFromToday, openCase, recordConsent, today } from '../consents/fixtures.js';
import { agencies, count, deniedCount, type Agencies } from './fixtures.js';

/**
 * A plan that can change: every change of a plan item is kept (who, when, which fields, old and
 * new values) in the transaction of the change; partners read the history only of an item they
 * may see, with agencies they may not know of left out; an agency leaving the case hands its
 * open actions over; a new action cannot be due in the past.
 */
describe('plan item history and reassignment', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let police: string;
  let a: Agencies;
  let caseId: string;
  let hiddenCaseId: string;
  let itemId: string;
  let hiddenItemId: string;

  const call = (token: string | null, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
    t.app.inject({ method, url, ...(token ? { headers: bearer(token) } : {}), ...(payload ? { payload } : {}) });
  const newItem = async (id: string, responsibleAgencyId: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await call(social, 'POST', `/api/cases/${id}/plan-items`, {
      lifeArea: 'school',
      goal: 'Närvaro över 80 %',
      action: 'Mentorsamtal varje vecka',
      responsibleAgencyId,
      ...extra,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id;
  };
  const history = (token: string, id: string, item: string) => call(token, 'GET', `/api/cases/${id}/plan-items/${item}/history`);

  beforeAll(async () => {
    t = await createTestApp();
    a = await agencies(t);
    [social, school, police] = (await Promise.all(['social', 'school', 'police'].map((u) => login(t.app, u)))) as [string, string, string];
    const c = await openCase(t.app, social, birthDateFor(30), { agencyIds: [a.school, a.police], serial: '611' });
    caseId = c.id;
    // The school sees the plan; the consent does not name the police together with it.
    await recordConsent(t.app, social, caseId, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.school],
      categories: ['identity', 'plan'],
    });
    itemId = await newItem(caseId, a.police, { dueDate: daysFromToday(30) });
    const hidden = await openCase(t.app, social, birthDateFor(30, 5), { agencyIds: [a.school], serial: '622' });
    hiddenCaseId = hidden.id;
    // Here the school may open the case, but not the plan.
    await recordConsent(t.app, social, hiddenCaseId, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.school],
      categories: ['identity'],
    });
    hiddenItemId = await newItem(hiddenCaseId, a.school);
  });
  afterAll(async () => t.close());

  it('answers 401 without a session', async () => {
    for (const [method, url, payload] of [
      ['GET', `/api/cases/${caseId}/plan-items/${itemId}/history`],
      ['PATCH', `/api/cases/${caseId}/plan-items/${itemId}`, { goal: 'x' }],
      ['DELETE', `/api/cases/${caseId}/participants/${a.police}?reassignTo=${a.social}`],
    ] as const)
      expect((await call(null, method, url, payload)).statusCode, url).toBe(401);
  });

  it('keeps each change with who, when, the fields changed and their old and new values', async () => {
    const res = await call(social, 'PATCH', `/api/cases/${caseId}/plan-items/${itemId}`, {
      goal: ' Närvaro över 90 % ',
      status: 'in_progress',
      dueDate: null,
      action: 'Mentorsamtal varje vecka',
    });
    expect(res.statusCode, res.body).toBe(200);
    // A follow-up alone, or values equal to the stored ones, change nothing of the item: no row.
    expect((await call(social, 'PATCH', `/api/cases/${caseId}/plan-items/${itemId}`, { followUp: 'Bra vecka.' })).statusCode).toBe(200);
    expect((await call(social, 'PATCH', `/api/cases/${caseId}/plan-items/${itemId}`, { status: 'in_progress' })).statusCode).toBe(200);
    const h = await history(social, caseId, itemId);
    expect(h.statusCode).toBe(200);
    const {
      rows: [user],
    } = await t.sql.query("SELECT id FROM app_user WHERE username = 'social'");
    expect(h.json()).toEqual([
      {
        id: expect.any(String),
        planItemId: itemId,
        caseId,
        cause: 'update',
        fields: ['goal', 'dueDate', 'status'],
        goalFrom: 'Närvaro över 80 %',
        goalTo: 'Närvaro över 90 %',
        actionFrom: null,
        actionTo: null,
        responsibleAgencyIdFrom: null,
        responsibleAgencyIdTo: null,
        dueDateFrom: daysFromToday(30),
        dueDateTo: null,
        statusFrom: 'planned',
        statusTo: 'in_progress',
        changedByUserId: user.id,
        changedByName: 'Sara Lind',
        changedByAgencyId: a.social,
        changedAt: expect.any(String),
      },
    ]);
  });

  it('writes the history row in the transaction of the change and its audit event', async () => {
    expect(
      (await call(social, 'PATCH', `/api/cases/${caseId}/plan-items/${itemId}`, { action: 'Mentorsamtal två gånger i veckan' })).statusCode,
    ).toBe(200);
    const {
      rows: [x],
    } = await t.sql.query(
      `SELECT (SELECT xmin::text FROM plan_item WHERE id = $1) AS item,
              (SELECT xmin::text FROM plan_item_change WHERE plan_item_id = $1 ORDER BY seq DESC LIMIT 1) AS change,
              (SELECT xmin::text FROM audit_queue WHERE resource_id = $2 AND action = 'plan_item.update' ORDER BY id DESC LIMIT 1) AS audit`,
      [itemId, itemId],
    );
    expect(x.change).toBe(x.item);
    expect(x.audit).toBe(x.item);
    // A change refused half-way (an agency outside the case) leaves neither the item nor its history changed.
    const before = await count(t, 'plan_item_change', 'plan_item_id = $1', [itemId]);
    const bad = await call(social, 'PATCH', `/api/cases/${caseId}/plan-items/${itemId}`, {
      goal: 'Ändrat',
      responsibleAgencyId: a.leisure,
    });
    expect(bad.statusCode).toBe(400);
    expect(await count(t, 'plan_item_change', 'plan_item_id = $1', [itemId])).toBe(before);
    expect(await count(t, 'plan_item', "id = $1 AND goal = 'Ändrat'", [itemId])).toBe(0);
    // The history is a record: the application cannot rewrite it.
    await expect(t.sql.query('UPDATE plan_item_change SET cause = $1 WHERE plan_item_id = $2', ['reassign', itemId])).rejects.toThrow(
      /append-only/,
    );
  });

  it('refuses malformed requests with 400 and an item of another case with 404', async () => {
    expect((await call(social, 'GET', `/api/cases/${caseId}/plan-items/not-a-uuid/history`)).statusCode).toBe(400);
    expect((await call(social, 'PATCH', `/api/cases/${caseId}/plan-items/${itemId}`, { goal: 'x', colour: 'red' })).statusCode).toBe(400);
    expect((await call(social, 'DELETE', `/api/cases/${caseId}/participants/${a.police}?reassignTo=nope`)).statusCode).toBe(400);
    const denied = await deniedCount(t);
    expect((await history(social, caseId, hiddenItemId)).statusCode).toBe(404);
    expect(await deniedCount(t)).toBe(denied + 1);
  });

  it('refuses a new action due in the past (400 due_date_past), nothing stored; today is fine', async () => {
    const before = await count(t, 'plan_item', 'case_id = $1', [caseId]);
    const res = await call(social, 'POST', `/api/cases/${caseId}/plan-items`, {
      lifeArea: 'school',
      goal: 'G',
      action: 'A',
      responsibleAgencyId: a.school,
      dueDate: daysFromToday(-1),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ type: 'urn:samverka:problem:due_date_past', errors: [{ path: '/dueDate' }] });
    expect(await count(t, 'plan_item', 'case_id = $1', [caseId])).toBe(before);
    await newItem(caseId, a.school, { dueDate: today() });
    // An existing action may still be moved to a past day (it is late, not new).
    expect((await call(social, 'PATCH', `/api/cases/${caseId}/plan-items/${itemId}`, { dueDate: daysFromToday(-3) })).statusCode).toBe(200);
  });

  it('a partner reads the history of an item it may see, without agencies it may not know of', async () => {
    const h = await history(school, caseId, itemId);
    expect(h.statusCode, h.body).toBe(200);
    const rows = h.json() as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows[0]).toMatchObject({ goalTo: 'Närvaro över 90 %', changedByAgencyId: a.social });
    expect(h.body).not.toContain(a.police);
  });

  it('a partner without the plan in its consent, or without consent, gets 404 (audited)', async () => {
    for (const [token, id, item] of [
      [school, hiddenCaseId, hiddenItemId],
      [police, caseId, itemId],
    ] as const) {
      const denied = await deniedCount(t);
      const res = await history(token, id, item);
      expect(res.statusCode).toBe(404);
      expect(await deniedCount(t)).toBe(denied + 1);
    }
  });

  it('an agency with open actions leaves only with reassignTo; its actions move, with history, in one transaction', async () => {
    const done = await newItem(caseId, a.police);
    expect((await call(social, 'PATCH', `/api/cases/${caseId}/plan-items/${done}`, { status: 'done' })).statusCode).toBe(200);
    const leave = (q: string) => call(social, 'DELETE', `/api/cases/${caseId}/participants/${a.police}${q}`);
    const refused = await leave('');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().type).toBe('urn:samverka:problem:agency_has_plan_items');
    for (const target of [a.police, a.leisure]) {
      const res = await leave(`?reassignTo=${target}`);
      expect(res.statusCode, target).toBe(400);
      expect(res.json()).toMatchObject({ type: 'urn:samverka:problem:reassign_target_invalid', errors: [{ path: '/reassignTo' }] });
    }
    expect(await count(t, 'case_participant', 'case_id = $1 AND agency_id = $2', [caseId, a.police])).toBe(1);
    const res = await leave(`?reassignTo=${a.school}`);
    expect(res.statusCode, res.body).toBe(204);
    expect(await count(t, 'case_participant', 'case_id = $1 AND agency_id = $2', [caseId, a.police])).toBe(0);
    const { rows } = await t.sql.query('SELECT id, responsible_agency_id AS r FROM plan_item WHERE id = ANY($1::uuid[])', [[itemId, done]]);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.r]))).toEqual({ [itemId]: a.school, [done]: a.police });
    const last = (await history(social, caseId, itemId)).json().pop();
    expect(last).toMatchObject({
      cause: 'reassign',
      fields: ['responsibleAgencyId'],
      responsibleAgencyIdFrom: a.police,
      responsibleAgencyIdTo: a.school,
    });
    const {
      rows: [x],
    } = await t.sql.query(
      `SELECT (SELECT xmin::text FROM plan_item_change WHERE plan_item_id = $1 ORDER BY seq DESC LIMIT 1) AS change,
              (SELECT xmin::text FROM audit_queue WHERE resource_id = $2 AND action = 'case.participant.remove' ORDER BY id DESC LIMIT 1) AS removal`,
      [itemId, a.police],
    );
    expect(x.change).toBe(x.removal);
    // The school sees its new action's history; the police it may not know of stays out.
    const partner = (await history(school, caseId, itemId)).json().pop();
    expect(partner).toMatchObject({ cause: 'reassign', responsibleAgencyIdFrom: null, responsibleAgencyIdTo: a.school });
  });
});
