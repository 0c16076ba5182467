import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { birthDateFor, openCase, recordConsent } from '../consents/fixtures.js';
import { agencies, count, deniedCount, type Agencies } from './fixtures.js';

/**
 * Closing with structure: an outcome code of policies/case-outcomes.yaml and text, reopening with
 * a reason, both kept in the outcome history (the owning unit's alone); a close answers the
 * consents still in force so that the caseworker can end them.
 */
describe('closing and reopening a case, with its outcome history', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let a: Agencies;
  let caseId: string;
  let consentId: string;
  let withdrawnId: string;

  const call = (token: string | null, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    t.app.inject({ method, url, ...(token ? { headers: bearer(token) } : {}), ...(payload ? { payload } : {}) });
  const status = async (): Promise<string> => (await t.sql.query('SELECT status FROM support_case WHERE id = $1', [caseId])).rows[0].status;

  beforeAll(async () => {
    t = await createTestApp();
    a = await agencies(t);
    [social, school] = (await Promise.all(['social', 'school'].map((u) => login(t.app, u)))) as [string, string];
    caseId = (await openCase(t.app, social, birthDateFor(30), { agencyIds: [a.school], serial: '711' })).id;
    consentId = (
      await recordConsent(t.app, social, caseId, {
        givenBy: { kind: 'subject' },
        agencyIds: [a.social, a.school],
        categories: ['identity'],
      })
    ).id;
    withdrawnId = (
      await recordConsent(t.app, social, caseId, {
        givenBy: { kind: 'subject' },
        agencyIds: [a.social, a.school],
        categories: ['identity', 'school'],
      })
    ).id;
    expect((await call(social, 'POST', `/api/consents/${withdrawnId}/withdraw`, { reason: 'Vill inte längre' })).statusCode).toBe(200);
  });
  afterAll(async () => t.close());

  it('lists the outcome codes with Swedish and English labels among the form options', async () => {
    const res = await call(social, 'GET', '/api/cases/options');
    expect(res.json().defaultOutcome).toBe('other');
    expect(res.json().outcomes.map((o: { code: string }) => o.code)).toEqual([
      'goals_met',
      'moved',
      'declined_support',
      'handed_over',
      'other',
    ]);
    expect(res.json().outcomes[0]).toEqual({ code: 'goals_met', sv: 'Målen uppnådda', en: 'Goals met' });
  });

  it('answers 401 without a session', async () => {
    for (const [method, url, payload] of [
      ['POST', `/api/cases/${caseId}/close`, { outcome: 'x', outcomeCode: 'moved' }],
      ['POST', `/api/cases/${caseId}/reopen`, { reason: 'x' }],
      ['GET', `/api/cases/${caseId}/outcome-history`],
    ] as const)
      expect((await call(null, method, url, payload)).statusCode, url).toBe(401);
  });

  it('refuses malformed input with 400 and changes nothing', async () => {
    for (const payload of [
      { outcome: 'x', outcomeCode: 'won_the_lottery' },
      { outcome: 'x', outcomeCode: 'Goals Met' },
      { outcomeCode: 'moved' },
      { outcome: 'x', extra: 1 },
    ]) {
      const res = await call(social, 'POST', `/api/cases/${caseId}/close`, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect(
      (await call(social, 'POST', `/api/cases/${caseId}/close`, { outcome: 'x', outcomeCode: 'won_the_lottery' })).json(),
    ).toMatchObject({ type: 'urn:samverka:problem:unknown_outcome', errors: [{ path: '/outcomeCode' }] });
    expect(await status()).not.toBe('closed');
    expect(await count(t, 'case_outcome_event', 'case_id = $1', [caseId])).toBe(0);
  });

  it('a partner, or an unknown case, gets 404 on close, reopen and the history (audited)', async () => {
    for (const [method, url, payload] of [
      ['POST', `/api/cases/${caseId}/close`, { outcome: 'x', outcomeCode: 'moved' }],
      ['POST', `/api/cases/${caseId}/reopen`, { reason: 'x' }],
      ['GET', `/api/cases/${caseId}/outcome-history`],
    ] as const) {
      const denied = await deniedCount(t);
      expect((await call(school, method, url, payload)).statusCode, url).toBe(404);
      expect(await deniedCount(t), url).toBe(denied + 1);
    }
    expect((await call(social, 'GET', '/api/cases/00000000-0000-4000-8000-000000000000/outcome-history')).statusCode).toBe(404);
    expect(await status()).not.toBe('closed');
  });

  it('closes with a code and text, answering the consents still in force; reopens only with a reason; keeps the history', async () => {
    const closed = await call(social, 'POST', `/api/cases/${caseId}/close`, {
      outcome: 'Klarar skolan på egen hand.',
      outcomeCode: 'goals_met',
    });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed', outcomeCode: 'goals_met', outcome: 'Klarar skolan på egen hand.' });
    expect(closed.json().consentsInForce).toEqual([
      {
        id: consentId,
        agencyIds: [a.social, a.school],
        categories: ['identity'],
        purpose: expect.any(String),
        validFrom: expect.any(String),
        validTo: expect.any(String),
      },
    ]);
    // A partner sees the outcome only under a consent naming `social`.
    const partner = await call(school, 'GET', `/api/cases/${caseId}`);
    expect(partner.json()).toMatchObject({ status: 'closed', outcomeCode: null, outcome: null });

    for (const payload of [undefined, {}, { reason: ' ' }]) {
      expect((await call(social, 'POST', `/api/cases/${caseId}/reopen`, payload)).statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect(await status()).toBe('closed');
    const reopened = await call(social, 'POST', `/api/cases/${caseId}/reopen`, { reason: 'Ny oro från skolan' });
    expect(reopened.statusCode).toBe(200);
    expect(reopened.json()).toMatchObject({ status: 'active', outcomeCode: null, outcome: null });
    expect((await call(social, 'POST', `/api/cases/${caseId}/reopen`, { reason: 'Igen' })).statusCode).toBe(409);

    // Without a code (an earlier client): the configured default.
    const again = await call(social, 'POST', `/api/cases/${caseId}/close`, { outcome: 'Flyttar.' });
    expect(again.json()).toMatchObject({ outcomeCode: 'other' });

    const history = await call(social, 'GET', `/api/cases/${caseId}/outcome-history`);
    expect(history.statusCode).toBe(200);
    expect(history.json().map((e: Record<string, unknown>) => [e.kind, e.outcomeCode, e.outcome, e.reason, e.userName])).toEqual([
      ['closed', 'goals_met', 'Klarar skolan på egen hand.', null, 'Sara Lind'],
      ['reopened', null, null, 'Ny oro från skolan', 'Sara Lind'],
      ['closed', 'other', 'Flyttar.', null, 'Sara Lind'],
    ]);
    const {
      rows: [x],
    } = await t.sql.query(
      `SELECT (SELECT xmin::text FROM support_case WHERE id = $1) AS c,
              (SELECT xmin::text FROM case_outcome_event WHERE case_id = $1 ORDER BY seq DESC LIMIT 1) AS e,
              (SELECT xmin::text FROM audit_queue WHERE case_id = $1 AND action = 'case.close' ORDER BY id DESC LIMIT 1) AS audit`,
      [caseId],
    );
    expect(x.e).toBe(x.c);
    expect(x.audit).toBe(x.c);
    // The consent is ended with the existing withdraw route; the next close lists none.
    expect((await call(social, 'POST', `/api/consents/${consentId}/withdraw`, { reason: 'Ärendet avslutat' })).statusCode).toBe(200);
    expect((await call(social, 'POST', `/api/cases/${caseId}/reopen`, { reason: 'Återkommit' })).statusCode).toBe(200);
    expect(
      (await call(social, 'POST', `/api/cases/${caseId}/close`, { outcome: 'Klart', outcomeCode: 'handed_over' })).json().consentsInForce,
    ).toEqual([]);
  });
});
