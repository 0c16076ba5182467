import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/db/seed.js';
import { bearer, createTestApp, DEMO_PASSWORD, login, problem, secretOf, type TestContext } from '../helpers/app.js';

/** A code of `secret` for the time step `offset` steps from now. */
const codeAt = (secret: string, offset = 0): Promise<string> =>
  generate({ secret, epoch: (Math.floor(Date.now() / 30_000) + offset) * 30 });

describe('second factor at local sign-in (policies/authentication.yaml)', () => {
  let t: TestContext;
  let admin: string;
  let schoolAgency: string;

  beforeAll(async () => {
    t = await createTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '200' });
    admin = await login(t.app, 'admin');
    schoolAgency = (await t.sql.query<{ id: string }>("SELECT id FROM agency WHERE kind = 'school'")).rows[0]!.id;
  });
  afterAll(async () => t.close());

  const post = (url: string, payload: unknown, token?: string) =>
    t.app.inject({ method: 'POST', url, payload: payload as object, ...(token ? { headers: bearer(token) } : {}) });
  const createAccount = async (username: string): Promise<{ id: string; initialPassword: string }> => {
    const res = await post(
      '/api/admin/users',
      { username, displayName: 'Ny Användare', agencyId: schoolAgency, roles: ['partner'] },
      admin,
    );
    expect(res.statusCode).toBe(201);
    return res.json();
  };
  const audited = async (action: string, userId: string) =>
    (
      await t.sql.query<{ outcome: string; reason: string | null }>(
        'SELECT outcome, reason FROM audit_queue WHERE action = $1 AND actor_id = $2 ORDER BY id',
        [action, userId],
      )
    ).rows;

  it('an admin-created account gets a one-time password; its first sign-in must enrol TOTP before any session', async () => {
    const user = await createAccount('anna.ny');
    expect(user.initialPassword).toMatch(/^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);
    const row = (await t.sql.query('SELECT must_change_password, mfa_exempt FROM app_user WHERE id = $1', [user.id])).rows[0];
    expect(row).toEqual({ must_change_password: true, mfa_exempt: false });

    const first = await post('/api/auth/login', { username: 'anna.ny', password: user.initialPassword });
    expect(first.statusCode).toBe(200);
    expect(Object.keys(first.json()).sort()).toEqual(['challenge', 'expiresIn', 'secondFactor']);
    expect(first.json().secondFactor).toBe('enrol');
    expect((await t.sql.query('SELECT 1 FROM user_session WHERE user_id = $1', [user.id])).rowCount).toBe(0);
    const challenge: string = first.json().challenge;

    // An enrol challenge cannot be answered with a recovery code, nor before a secret exists.
    expect((await post('/api/auth/mfa', { challenge, code: '123456' })).statusCode).toBe(401);
    const enrolment = await post('/api/auth/mfa/totp', { challenge });
    expect(enrolment.statusCode).toBe(200);
    expect(enrolment.json().otpauthUri).toMatch(/^otpauth:\/\/totp\/Samverka:anna\.ny\?/);
    expect(enrolment.json().qrDataUrl).toMatch(/^data:image\/png;base64,/);
    const secret = secretOf(enrolment.json().otpauthUri);
    // Shown again (a reload), the page gets the secret the user may already have scanned.
    expect((await post('/api/auth/mfa/totp', { challenge })).json().otpauthUri).toBe(enrolment.json().otpauthUri);
    const stored = (await t.sql.query('SELECT secret_sealed, confirmed_at FROM user_totp WHERE user_id = $1', [user.id])).rows[0];
    expect(stored.secret_sealed).not.toContain(secret);
    expect(stored.confirmed_at).toBeNull();

    const wrong = await post('/api/auth/mfa', { challenge, code: (Number(await codeAt(secret)) ^ 1).toString().padStart(6, '0') });
    expect(wrong.statusCode).toBe(401);
    expect(problem(wrong).title).toBe('Wrong code');
    const done = await post('/api/auth/mfa', { challenge, code: await codeAt(secret) });
    expect(done.statusCode).toBe(200);
    const session = done.json();
    expect(session.mustChangePassword).toBe(true);
    expect(session.recoveryCodes).toHaveLength(10);
    expect(new Set(session.recoveryCodes).size).toBe(10);
    // The challenge gave its one session.
    expect((await post('/api/auth/mfa', { challenge, code: await codeAt(secret, 1) })).statusCode).toBe(401);
    // Recovery codes are kept only as keyed hashes.
    const hashes = (await t.sql.query('SELECT code_hash FROM user_recovery_code WHERE user_id = $1', [user.id])).rows;
    expect(hashes).toHaveLength(10);
    expect(hashes.map((h) => h.code_hash)).not.toContain(session.recoveryCodes[0]);

    expect((await audited('auth.password', user.id)).map((r) => r.reason)).toEqual(['second_factor_enrolment_required']);
    expect(await audited('auth.mfa', user.id)).toEqual([
      { outcome: 'denied', reason: 'bad_second_factor' },
      { outcome: 'denied', reason: 'bad_second_factor' },
      { outcome: 'allowed', reason: 'totp_enrolled' },
    ]);
  });

  it('until the one-time password is changed, only the password change (and /me, sign-out) is allowed', async () => {
    const user = await createAccount('bo.ny');
    const first = (await post('/api/auth/login', { username: 'bo.ny', password: user.initialPassword })).json();
    const secret = secretOf((await post('/api/auth/mfa/totp', { challenge: first.challenge })).json().otpauthUri);
    const token: string = (await post('/api/auth/mfa', { challenge: first.challenge, code: await codeAt(secret) })).json().accessToken;

    const cases = await t.app.inject({ url: '/api/cases', headers: bearer(token) });
    expect(cases.statusCode).toBe(403);
    expect(cases.json().type).toMatch(/password_change_required$/);
    const me = await t.app.inject({ url: '/api/me', headers: bearer(token) });
    expect(me.statusCode).toBe(200);
    expect(me.json().mustChangePassword).toBe(true);

    const weak = await post('/api/me/password', { currentPassword: user.initialPassword, newPassword: 'password1234' }, token);
    expect(weak.statusCode).toBe(400);
    expect(weak.json().type).toMatch(/password_common$/);
    expect(weak.json().errors).toEqual([{ path: '/newPassword', message: expect.any(String) }]);
    const short = await post('/api/me/password', { currentPassword: user.initialPassword, newPassword: 'kort-ord' }, token);
    expect(short.json().type).toMatch(/password_too_short$/);
    const same = await post('/api/me/password', { currentPassword: user.initialPassword, newPassword: user.initialPassword }, token);
    expect(same.json().type).toMatch(/password_unchanged$/);
    const wrongCurrent = await post('/api/me/password', { currentPassword: 'not-the-password', newPassword: 'blå-cykel-i-regnet' }, token);
    expect(wrongCurrent.statusCode).toBe(400);
    expect(wrongCurrent.json().type).toMatch(/wrong_current_password$/);

    const changed = await post('/api/me/password', { currentPassword: user.initialPassword, newPassword: 'blå-cykel-i-regnet' }, token);
    expect(changed.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/cases', headers: bearer(token) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/me', headers: bearer(token) })).json().mustChangePassword).toBe(false);
    expect((await post('/api/auth/login', { username: 'bo.ny', password: user.initialPassword })).statusCode).toBe(401);
    expect((await audited('account.password.change', user.id)).map((r) => r.outcome)).toEqual(['denied', 'allowed']);
  });

  describe('an enrolled user', () => {
    let userId: string;
    let secret: string;
    let recoveryCodes: string[];
    const password = 'grön-tekanna-på-spisen';
    const signIn = async (): Promise<string> => {
      const res = await post('/api/auth/login', { username: 'cia.ny', password });
      expect(res.json().secondFactor).toBe('verify');
      return res.json().challenge;
    };

    beforeAll(async () => {
      const user = await createAccount('cia.ny');
      userId = user.id;
      const first = (await post('/api/auth/login', { username: 'cia.ny', password: user.initialPassword })).json();
      secret = secretOf((await post('/api/auth/mfa/totp', { challenge: first.challenge })).json().otpauthUri);
      const done = (await post('/api/auth/mfa', { challenge: first.challenge, code: await codeAt(secret, -1) })).json();
      recoveryCodes = done.recoveryCodes;
      expect(
        (await post('/api/me/password', { currentPassword: user.initialPassword, newPassword: password }, done.accessToken)).statusCode,
      ).toBe(204);
    });

    it('gives a code once: the same time step twice is refused, the next one (drift +1) accepted', async () => {
      const code = await codeAt(secret);
      const first = await post('/api/auth/mfa', { challenge: await signIn(), code });
      expect(first.statusCode).toBe(200);
      expect(first.json().recoveryCodes).toBeUndefined();
      expect(first.json().mustChangePassword).toBe(false);
      const replay = await post('/api/auth/mfa', { challenge: await signIn(), code });
      expect(replay.statusCode).toBe(401);
      expect((await post('/api/auth/mfa', { challenge: await signIn(), code: await codeAt(secret, 1) })).statusCode).toBe(200);
      // Two steps ahead is beyond the allowed drift.
      expect((await post('/api/auth/mfa', { challenge: await signIn(), code: await codeAt(secret, 2) })).statusCode).toBe(401);
    });

    it('accepts a recovery code once, typed in any case and without dashes', async () => {
      const typed = recoveryCodes[0]!.toUpperCase().replace(/-/g, ' ');
      const used = await post('/api/auth/mfa', { challenge: await signIn(), recoveryCode: typed });
      expect(used.statusCode).toBe(200);
      expect((await post('/api/auth/mfa', { challenge: await signIn(), recoveryCode: recoveryCodes[0] })).statusCode).toBe(401);
      const status = await t.app.inject({ url: '/api/me/mfa', headers: bearer(used.json().accessToken) });
      expect(status.json()).toMatchObject({ enrolled: true, required: true, recoveryCodesLeft: 9 });
      expect((await audited('auth.mfa', userId)).filter((r) => r.reason === 'recovery_code')).toHaveLength(1);
    });

    it('refuses bad input: both or neither code, an unknown or expired challenge, a verify challenge for enrolment', async () => {
      const challenge = await signIn();
      expect((await post('/api/auth/mfa', { challenge, code: '123456', recoveryCode: 'abcd-efgh-jkmn' })).statusCode).toBe(400);
      expect((await post('/api/auth/mfa', { challenge })).statusCode).toBe(400);
      expect((await post('/api/auth/mfa', { challenge, code: 123456 })).statusCode).toBe(400);
      expect((await post('/api/auth/mfa', { challenge, code: '123456', extra: 1 })).statusCode).toBe(400);
      const unknown = await post('/api/auth/mfa', { challenge: 'x'.repeat(43), code: '123456' });
      expect(unknown.statusCode).toBe(401);
      expect(unknown.json().type).toMatch(/challenge_invalid$/);
      expect((await post('/api/auth/mfa/totp', { challenge })).statusCode).toBe(401);
      await t.sql.query("UPDATE sign_in_challenge SET expires_at = now() - interval '1 second' WHERE user_id = $1", [userId]);
      expect((await post('/api/auth/mfa', { challenge, code: await codeAt(secret) })).json().type).toMatch(/challenge_invalid$/);
    });

    it('throttles wrong codes like passwords (audited), and the right code waits too', async () => {
      await t.sql.query('DELETE FROM login_throttle');
      const challenge = await signIn();
      for (let i = 0; i < 3; i += 1) expect((await post('/api/auth/mfa', { challenge, code: '000000' })).statusCode).toBe(401);
      const throttled = await post('/api/auth/mfa', { challenge, code: await codeAt(secret) });
      expect(throttled.statusCode).toBe(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
      expect((await audited('auth.mfa', userId)).at(-1)).toEqual({ outcome: 'denied', reason: 'throttled' });
    });
  });

  it('demo users are exempt (one step), but a factor they enrol is asked for', async () => {
    const res = await post('/api/auth/login', { username: 'leisure', password: DEMO_PASSWORD });
    expect(res.json().accessToken).toEqual(expect.any(String));
    const token: string = res.json().accessToken;
    expect((await t.app.inject({ url: '/api/me/mfa', headers: bearer(token) })).json()).toEqual({
      enrolled: false,
      required: false,
      confirmedAt: null,
      recoveryCodesLeft: 0,
    });
    const start = await post('/api/me/mfa/totp', { password: DEMO_PASSWORD }, token);
    expect(start.statusCode).toBe(200);
    const secret = secretOf(start.json().otpauthUri);
    expect((await post('/api/me/mfa/totp/confirm', { code: '000000' }, token)).statusCode).toBe(400);
    const confirmed = await post('/api/me/mfa/totp/confirm', { code: await codeAt(secret) }, token);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json().recoveryCodes).toHaveLength(10);
    expect((await post('/api/me/mfa/totp', { password: DEMO_PASSWORD }, token)).statusCode).toBe(409);
    const again = await post('/api/auth/login', { username: 'leisure', password: DEMO_PASSWORD });
    expect(again.json().secondFactor).toBe('verify');
  });

  it('a demo database seeded before the second factor gets its demo users exempt on the next demo start', async () => {
    await t.sql.query("UPDATE app_user SET mfa_exempt = false WHERE username IN ('school', 'admin')");
    expect(await seedDemo(t.orm.em.fork(), DEMO_PASSWORD)).toBe(false);
    const rows = await t.sql.query('SELECT username FROM app_user WHERE mfa_exempt ORDER BY username');
    expect(rows.rows.map((r) => r.username)).toEqual(expect.arrayContaining(['admin', 'school']));
    expect((await t.sql.query("SELECT 1 FROM app_user WHERE mfa_exempt AND username LIKE '%.ny'")).rowCount).toBe(0);
  });

  it('tells the sign-in page whether demo users are exempt (only in a demo start), without a session', async () => {
    const res = await t.app.inject({ url: '/api/auth/second-factor' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ demoUsersExempt: t.config.DEMO });
    expect(t.config.DEMO).toBe(false);
  });

  it('an agency that signs in through its own provider refuses local sign-in, audited', async () => {
    await t.sql.query("UPDATE agency SET local_sign_in = false WHERE kind = 'police'");
    const res = await post('/api/auth/login', { username: 'police', password: DEMO_PASSWORD });
    expect(res.statusCode).toBe(403);
    expect(res.json().type).toMatch(/local_sign_in_disabled$/);
    const wrong = await post('/api/auth/login', { username: 'police', password: 'wrong-password-here' });
    expect(wrong.statusCode).toBe(401);
    await t.sql.query("UPDATE agency SET local_sign_in = true WHERE kind = 'police'");
  });
});
