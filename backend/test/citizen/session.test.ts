import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { citizenSignIn } from '../helpers/citizen.js';
import { createCase, MINOR, pin } from '../cases/fixtures.js';

const GUARDIAN = pin('19800520', '222');

describe('citizen sessions', () => {
  let t: TestContext;
  let staff: string;
  let subjectId: string;

  beforeAll(async () => {
    t = await createTestApp();
    staff = await login(t.app, 'social');
    subjectId = (await createCase(t.app, staff)).subject.id;
  });
  afterAll(async () => t.close());

  const me = (headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: '/api/citizen/me', headers });

  it('answers 401 without a token, with a staff token and with a forged one', async () => {
    expect((await me()).statusCode).toBe(401);
    expect((await me(bearer(staff))).statusCode).toBe(401);
    const { token } = await citizenSignIn(t.app, { personalIdentityNumber: MINOR });
    const [h, p] = token.split('.');
    expect((await me(bearer(`${h}.${p}.${'A'.repeat(86)}`))).statusCode).toBe(401);
  });

  it('refuses a citizen token on a staff route', async () => {
    const { headers } = await citizenSignIn(t.app, { personalIdentityNumber: MINOR });
    const res = await t.app.inject({ method: 'GET', url: '/api/cases', headers });
    expect(res.statusCode).toBe(401);
  });

  it('shows the young person their own case and the guardian with custody their child, audited', async () => {
    const youth = await citizenSignIn(t.app, { personalIdentityNumber: MINOR });
    const res = await me(youth.headers);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.relations).toEqual([{ subjectId, as: 'subject', access: 'full', firstName: 'Elin', age: 15 }]);
    expect(Date.parse(body.sessionExpiresAt) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(Date.parse(body.sessionExpiresAt) - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    expect(Date.parse(body.signatureFreshUntil)).toBeLessThan(Date.parse(body.sessionExpiresAt));

    const guardian = await citizenSignIn(t.app, { personalIdentityNumber: GUARDIAN });
    expect((await me(guardian.headers)).json().relations).toEqual([
      { subjectId, as: 'guardian', access: 'full', firstName: 'Elin', age: 15 },
    ]);

    const { rows } = await t.sql.query<{ actor_role: string; actor_agency_id: string | null; subject_id: string }>(
      "SELECT actor_role, actor_agency_id, subject_id FROM audit_queue WHERE action = 'citizen.me.read' ORDER BY occurred_at",
    );
    expect(rows).toEqual([
      { actor_role: 'citizen_subject', actor_agency_id: null, subject_id: subjectId },
      { actor_role: 'citizen_guardian', actor_agency_id: null, subject_id: subjectId },
    ]);
  });

  it('ends at once when the session row ends or expires', async () => {
    const s = await citizenSignIn(t.app, { personalIdentityNumber: MINOR });
    expect((await me(s.headers)).statusCode).toBe(200);
    await t.sql.query('UPDATE citizen_session SET ended_at = now() WHERE id = $1', [s.sessionId]);
    expect((await me(s.headers)).statusCode).toBe(401);

    const s2 = await citizenSignIn(t.app, { personalIdentityNumber: MINOR });
    await t.sql.query("UPDATE citizen_session SET expires_at = now() - interval '1 second' WHERE id = $1", [s2.sessionId]);
    expect((await me(s2.headers)).statusCode).toBe(401);
  });

  it('asks for a fresh sign-in when the assertion is older than signatureFreshMinutes', () => {
    const actor = (minutesAgo: number) => ({
      sessionId: '00000000-0000-4000-8000-000000000000',
      personalIdentityNumber: MINOR,
      acr: 'loa3',
      authenticatedAt: new Date(Date.now() - minutesAgo * 60_000),
      assertionSha256: '0'.repeat(64),
      transactionRef: 'txn',
    });
    expect(() => t.app.citizen.requireFreshAssertion(actor(14))).not.toThrow();
    expect(() => t.app.citizen.requireFreshAssertion(actor(16))).toThrow(
      expect.objectContaining({ status: 403, code: 'reauthentication_required' }),
    );
  });

  it('forgets ended and expired sessions (they hold a personal identity number) when the next one starts', async () => {
    const ended = await citizenSignIn(t.app, { personalIdentityNumber: MINOR });
    expect((await t.app.inject({ method: 'POST', url: '/api/citizen/auth/logout', headers: ended.headers })).statusCode).toBe(204);
    const expired = await citizenSignIn(t.app, { personalIdentityNumber: GUARDIAN });
    await t.sql.query("UPDATE citizen_session SET expires_at = now() - interval '1 second' WHERE id = $1", [expired.sessionId]);
    const live = await citizenSignIn(t.app, { personalIdentityNumber: MINOR });
    const { rows } = await t.sql.query<{ id: string }>('SELECT id FROM citizen_session WHERE id = ANY($1)', [
      [ended.sessionId, expired.sessionId, live.sessionId],
    ]);
    expect(rows.map((r) => r.id)).toEqual([live.sessionId]);
  });
});
