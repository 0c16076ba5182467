import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, createUser, login, type TestContext } from '../helpers/app.js';
import { birthDateFor, openCase, recordConsent } from '../consents/fixtures.js';
import { agencies, count, createCase, deniedCount, pin, type Agencies } from './fixtures.js';

interface Change {
  role: string;
  fromUserId: string | null;
  fromName: string | null;
  toUserId: string | null;
  toName: string | null;
  changedByUserId: string;
  changedByName: string | null;
}

/**
 * Who holds a case: a responsible caseworker (the creator at first) and an optional deputy, both
 * social workers of the owning agency; a transfer is audited with the change of its history in
 * one transaction, and "my cases" are the ones a caseworker is responsible for or deputy of.
 */
describe('responsibility for a case', () => {
  let t: TestContext;
  let social: string;
  let second: string;
  let school: string;
  let coordinator: string;
  let a: Agencies;
  const users: Record<string, string> = {};
  let caseId: string;

  const call = (token: string | null, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) =>
    t.app.inject({ method, url, ...(token ? { headers: bearer(token) } : {}), ...(payload ? { payload } : {}) });
  const holders = async (id: string): Promise<{ owner: string; deputy: string | null; changes: number }> => {
    const { rows } = await t.sql.query('SELECT owner_user_id AS owner, deputy_user_id AS deputy FROM support_case WHERE id = $1', [id]);
    return { ...rows[0], changes: await count(t, 'case_responsibility_change', 'case_id = $1', [id]) };
  };

  beforeAll(async () => {
    t = await createTestApp();
    a = await agencies(t);
    const admin = await login(t.app, 'admin');
    const addUser = async (username: string, displayName: string, agencyId: string, roles: string[]): Promise<string> => {
      const user = await createUser(
        t.app,
        admin,
        { username, displayName, password: `${displayName}s lösenord 2026`, agencyId, roles },
        { approver: await login(t.app, 'admin2') },
      );
      return user.id;
    };
    users.second = await addUser('second', 'Stina Andra', a.social, ['social_worker']);
    users.third = await addUser('third', 'Tore Tredje', a.social, ['social_worker']);
    users.gone = await addUser('gone', 'Gunn Borta', a.social, ['social_worker']);
    expect((await call(admin, 'POST', `/api/admin/users/${users.gone}/deactivate`)).statusCode).toBe(200);
    const { rows } = await t.sql.query("SELECT username, id FROM app_user WHERE username IN ('social','school','coordinator')");
    for (const r of rows) users[r.username] = r.id;
    [social, school, coordinator] = (await Promise.all(['social', 'school', 'coordinator'].map((u) => login(t.app, u)))) as [
      string,
      string,
      string,
    ];
    second = await login(t.app, 'second', 'Stina Andras lösenord 2026');
    const c = await openCase(t.app, social, birthDateFor(30), { agencyIds: [a.school], serial: '501' });
    await recordConsent(t.app, social, c.id, { givenBy: { kind: 'subject' }, agencyIds: [a.social, a.school], categories: ['identity'] });
    caseId = c.id;
  });
  afterAll(async () => t.close());

  it("a new case is its creator's: responsible and owner alike, no deputy, an empty history", async () => {
    const res = await call(social, 'GET', `/api/cases/${caseId}`);
    expect(res.json()).toMatchObject({
      ownerUserId: users.social,
      responsibleUserId: users.social,
      responsibleName: 'Sara Lind',
      deputyUserId: null,
      deputyName: null,
    });
    const history = await call(social, 'GET', `/api/cases/${caseId}/responsibility-history`);
    expect(history.statusCode).toBe(200);
    expect(history.json()).toEqual([]);
  });

  it('answers 401 without a session on every new route', async () => {
    for (const [method, url, payload] of [
      ['POST', `/api/cases/${caseId}/transfer`, { userId: users.second }],
      ['GET', `/api/cases/${caseId}/responsibility-history`],
      ['GET', `/api/cases/${caseId}/caseworkers`],
    ] as const)
      expect((await call(null, method, url, payload)).statusCode, url).toBe(401);
  });

  it.each(['school', 'coordinator'])('%s gets 404 on transfer, history and caseworkers (audited), and nothing changes', async (who) => {
    const token = who === 'school' ? school : coordinator;
    const before = await holders(caseId);
    for (const [method, url, payload] of [
      ['POST', `/api/cases/${caseId}/transfer`, { userId: users.second }],
      ['GET', `/api/cases/${caseId}/responsibility-history`],
      ['GET', `/api/cases/${caseId}/caseworkers`],
    ] as const) {
      const denied = await deniedCount(t);
      const res = await call(token, method, url, payload);
      expect(res.statusCode, `${who} ${url}`).toBe(404);
      expect(await deniedCount(t), `${who} ${url} audited`).toBe(denied + 1);
    }
    expect(await holders(caseId)).toEqual(before);
  });

  it('refuses malformed bodies (400) and changes nothing', async () => {
    const before = await holders(caseId);
    for (const payload of [{}, { userId: 'not-a-uuid' }, { userId: users.second, extra: 1 }]) {
      expect((await call(social, 'POST', `/api/cases/${caseId}/transfer`, payload)).statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect((await call(social, 'PATCH', `/api/cases/${caseId}`, { deputyUserId: 'x' })).statusCode).toBe(400);
    expect(await holders(caseId)).toEqual(before);
  });

  it('refuses a transfer to anyone but an active social worker of the owning agency: 400 transfer_target_invalid', async () => {
    const before = await holders(caseId);
    for (const who of ['school', 'coordinator', 'gone']) {
      const res = await call(social, 'POST', `/api/cases/${caseId}/transfer`, { userId: users[who] });
      expect(res.statusCode, who).toBe(400);
      expect(res.json()).toMatchObject({ type: 'urn:samverka:problem:transfer_target_invalid', errors: [{ path: '/userId' }] });
    }
    const unknown = await call(social, 'POST', `/api/cases/${caseId}/transfer`, { userId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.json().type).toBe('urn:samverka:problem:transfer_target_invalid');
    expect((await call(social, 'POST', `/api/cases/${caseId}/transfer`, { userId: users.social })).statusCode).toBe(409);
    expect(await holders(caseId)).toEqual(before);
  });

  it("lists the owning agency's active social workers as the possible holders", async () => {
    const res = await call(social, 'GET', `/api/cases/${caseId}/caseworkers`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      { id: users.social, displayName: 'Sara Lind' },
      { id: users.second, displayName: 'Stina Andra' },
      { id: users.third, displayName: 'Tore Tredje' },
    ]);
  });

  it('audits each allowed read of the holders and of the history, by ids only', async () => {
    for (const [action, path] of [
      ['case.caseworkers.read', 'caseworkers'],
      ['case.responsibility.read', 'responsibility-history'],
    ] as const) {
      const before = await count(t, 'audit_queue', "action = $1 AND outcome = 'allowed' AND case_id = $2", [action, caseId]);
      expect((await call(social, 'GET', `/api/cases/${caseId}/${path}`)).statusCode).toBe(200);
      expect(
        await count(t, 'audit_queue', "action = $1 AND outcome = 'allowed' AND case_id = $2 AND actor_id = $3", [
          action,
          caseId,
          users.social,
        ]),
        action,
      ).toBe(before + 1);
    }
  });

  it('sets and removes a deputy, who must be another social worker of the agency, with the history kept', async () => {
    for (const [who, code] of [
      ['school', 'deputy_invalid'],
      ['gone', 'deputy_invalid'],
      ['social', 'deputy_is_responsible'],
    ] as const) {
      const res = await call(social, 'PATCH', `/api/cases/${caseId}`, { deputyUserId: users[who] });
      expect(res.statusCode, who).toBe(400);
      expect(res.json().type).toBe(`urn:samverka:problem:${code}`);
    }
    const set = await call(social, 'PATCH', `/api/cases/${caseId}`, { deputyUserId: users.third });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ deputyUserId: users.third, deputyName: 'Tore Tredje' });
    const removed = await call(social, 'PATCH', `/api/cases/${caseId}`, { deputyUserId: null });
    expect(removed.json()).toMatchObject({ deputyUserId: null, deputyName: null });
    expect((await call(social, 'PATCH', `/api/cases/${caseId}`, { deputyUserId: users.second })).json().deputyName).toBe('Stina Andra');
    const history = (await call(social, 'GET', `/api/cases/${caseId}/responsibility-history`)).json() as Change[];
    expect(history.map((h) => [h.role, h.fromName, h.toName, h.changedByName])).toEqual([
      ['deputy', null, 'Tore Tredje', 'Sara Lind'],
      ['deputy', 'Tore Tredje', null, 'Sara Lind'],
      ['deputy', null, 'Stina Andra', 'Sara Lind'],
    ]);
  });

  it('transfers to the deputy: the deputy becomes responsible, the deputy seat falls vacant, all in one audited transaction', async () => {
    const res = await call(social, 'POST', `/api/cases/${caseId}/transfer`, { userId: users.second });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      ownerUserId: users.second,
      responsibleUserId: users.second,
      responsibleName: 'Stina Andra',
      deputyUserId: null,
      deputyName: null,
    });
    const { rows } = await t.sql.query(
      `SELECT q.actor_id, q.resource_type, q.resource_id, q.outcome, q.xmin::text = c.xmin::text AS same_tx
       FROM audit_queue q, support_case c WHERE q.action = 'case.transfer' AND q.outcome = 'allowed' AND q.case_id = $1 AND c.id = $1`,
      [caseId],
    );
    expect(rows).toEqual([{ actor_id: users.social, resource_type: 'user', resource_id: users.second, outcome: 'allowed', same_tx: true }]);
    const history = (await call(social, 'GET', `/api/cases/${caseId}/responsibility-history`)).json() as Change[];
    expect(history.slice(-2).map((h) => [h.role, h.fromUserId, h.toUserId])).toEqual([
      ['responsible', users.social, users.second],
      ['deputy', users.second, null],
    ]);
  });

  it('the previous caseworker keeps the case and its history in view; the new one finds it under "my cases"', async () => {
    expect((await call(social, 'GET', `/api/cases/${caseId}`)).statusCode).toBe(200);
    expect((await call(social, 'GET', `/api/cases/${caseId}/responsibility-history`)).statusCode).toBe(200);
    const mine = (token: string) =>
      call(token, 'GET', '/api/cases?owner=me&pageSize=100').then((r) => (r.json() as { items: { id: string }[] }).items.map((i) => i.id));
    expect(await mine(second)).toContain(caseId);
    expect(await mine(social)).not.toContain(caseId);
    // Made deputy, the previous caseworker has it among "my cases" again.
    expect((await call(second, 'PATCH', `/api/cases/${caseId}`, { deputyUserId: users.social })).statusCode).toBe(200);
    expect(await mine(social)).toContain(caseId);
    const stats = (await call(social, 'GET', '/api/cases/stats')).json() as { mine: number };
    expect(stats.mine).toBe((await mine(social)).length);
  });

  it('a partner under an identity consent sees who is responsible, and the case number; never the history', async () => {
    const res = await call(school, 'GET', `/api/cases/${caseId}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ responsibleUserId: users.second, responsibleName: 'Stina Andra', deputyName: 'Sara Lind' });
    expect(res.json().caseNumber).toMatch(/^SSPF-\d{4}-\d{4}$/);
    const list = (await call(school, 'GET', '/api/cases')).json() as {
      items: { id: string; responsibleUserId: string; caseNumber: string }[];
    };
    expect(list.items.find((i) => i.id === caseId)).toMatchObject({ responsibleUserId: users.second, caseNumber: res.json().caseNumber });
  });

  it('a closed case is not transferred until it is reopened (409 case_closed)', async () => {
    const c = await createCase(t.app, social, {}, { personalIdentityNumber: pin('20110314', '511') });
    expect((await call(social, 'POST', `/api/cases/${c.id}/close`, { outcome: 'Klart' })).statusCode).toBe(200);
    const res = await call(social, 'POST', `/api/cases/${c.id}/transfer`, { userId: users.second });
    expect(res.statusCode).toBe(409);
    expect(res.json().type).toBe('urn:samverka:problem:case_closed');
  });
});
