import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, createUser, DEMO_PASSWORD, login, type TestContext } from '../helpers/app.js';

describe('own account: password, second factor, sessions', () => {
  let t: TestContext;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: object) =>
    t.app.inject({ method, url, ...(token ? { headers: bearer(token) } : {}), ...(payload ? { payload } : {}) });
  const sessionId = async (token: string): Promise<string> =>
    JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;

  it('every account route requires a session', async () => {
    for (const [method, url] of [
      ['POST', '/api/me/password'],
      ['GET', '/api/me/mfa'],
      ['POST', '/api/me/mfa/totp'],
      ['POST', '/api/me/mfa/totp/confirm'],
      ['GET', '/api/me/sessions'],
      ['DELETE', '/api/me/sessions/00000000-0000-4000-8000-000000000000'],
    ] as const) {
      expect((await call(method, url, undefined, method === 'POST' ? {} : undefined)).statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('refuses malformed input and changes nothing', async () => {
    const token = await login(t.app, 'coordinator');
    const before = (await t.sql.query("SELECT password_hash FROM app_user WHERE username = 'coordinator'")).rows[0];
    expect((await call('POST', '/api/me/password', token, { newPassword: 'ett-långt-lösenord' })).statusCode).toBe(400);
    expect(
      (await call('POST', '/api/me/password', token, { currentPassword: DEMO_PASSWORD, newPassword: 'ett-långt-lösenord', extra: true }))
        .statusCode,
    ).toBe(400);
    expect((await call('POST', '/api/me/mfa/totp', token, {})).statusCode).toBe(400);
    expect((await call('POST', '/api/me/mfa/totp/confirm', token, { code: 123456 })).statusCode).toBe(400);
    expect((await call('DELETE', '/api/me/sessions/not-a-uuid', token)).statusCode).toBe(400);
    expect((await t.sql.query("SELECT password_hash FROM app_user WHERE username = 'coordinator'")).rows[0]).toEqual(before);
  });

  it('lists the own live sessions and ends one at once; another user’s answers 404 and is audited', async () => {
    const first = await login(t.app, 'auditor');
    const second = await login(t.app, 'auditor');
    const other = await login(t.app, 'school');
    const list = await call('GET', '/api/me/sessions', first);
    expect(list.statusCode).toBe(200);
    const sessions = list.json() as { id: string; current: boolean; createdAt: string }[];
    expect(sessions.map((s) => s.id).sort()).toEqual([await sessionId(first), await sessionId(second)].sort());
    expect(sessions.find((s) => s.current)?.id).toBe(await sessionId(first));
    expect(sessions[0]!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const foreign = await call('DELETE', `/api/me/sessions/${await sessionId(other)}`, first);
    expect(foreign.statusCode).toBe(404);
    expect((await call('GET', '/api/me', other)).statusCode).toBe(200);
    const denied = await t.sql.query("SELECT outcome, reason FROM audit_queue WHERE action = 'account.session.end' AND resource_id = $1", [
      await sessionId(other),
    ]);
    expect(denied.rows).toEqual([{ outcome: 'denied', reason: 'not_found' }]);

    expect((await call('DELETE', `/api/me/sessions/${await sessionId(second)}`, first)).statusCode).toBe(204);
    expect((await call('GET', '/api/me', second)).statusCode).toBe(401);
    expect((await call('GET', '/api/me', first)).statusCode).toBe(200);
    expect((await call('DELETE', `/api/me/sessions/${await sessionId(second)}`, first)).statusCode).toBe(404);
    const listed = await t.sql.query("SELECT count(*)::int AS n FROM audit_queue WHERE action = 'account.sessions.list'");
    expect(listed.rows[0].n).toBeGreaterThan(0);
  });

  it('a password change ends the other sessions and keeps this one', async () => {
    const agencyId = (await t.sql.query<{ id: string }>("SELECT id FROM agency WHERE kind = 'leisure'")).rows[0]!.id;
    const admin = await login(t.app, 'admin');
    await createUser(t.app, admin, {
      username: 'dan.ny',
      displayName: 'Dan Ny',
      agencyId,
      roles: ['partner'],
      password: 'fem-små-grodor-hoppar',
    });
    const here = await login(t.app, 'dan.ny', 'fem-små-grodor-hoppar');
    const elsewhere = await login(t.app, 'dan.ny', 'fem-små-grodor-hoppar');
    const res = await call('POST', '/api/me/password', here, {
      currentPassword: 'fem-små-grodor-hoppar',
      newPassword: 'sex-stora-grodor-simmar',
    });
    expect(res.statusCode).toBe(204);
    expect((await call('GET', '/api/me', here)).statusCode).toBe(200);
    expect((await call('GET', '/api/me', elsewhere)).statusCode).toBe(401);
    // The helper's authenticator answers the second step of the new sign-in.
    expect(await login(t.app, 'dan.ny', 'sex-stora-grodor-simmar')).toEqual(expect.any(String));
  });

  it('enrolment from the account needs the current password, and a wrong one counts as a failed sign-in', async () => {
    const token = await login(t.app, 'social');
    const wrong = await call('POST', '/api/me/mfa/totp', token, { password: 'not-my-password' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().type).toMatch(/wrong_current_password$/);
    const audited = await t.sql.query(
      "SELECT outcome, reason FROM audit_queue WHERE action = 'account.totp.start' AND actor_id = (SELECT id FROM app_user WHERE username = 'social')",
    );
    expect(audited.rows).toEqual([{ outcome: 'denied', reason: 'bad_credentials' }]);
    expect((await t.sql.query('SELECT count(*)::int AS n FROM login_throttle WHERE failures > 0')).rows[0].n).toBeGreaterThan(0);
    expect((await call('POST', '/api/me/mfa/totp/confirm', token, { code: '123456' })).statusCode).toBe(400);
  });
});
