import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { agencyIdOfKind, auditCount, call, userId } from './helpers.js';

interface Page {
  items: { username: string; roles: string[]; active: boolean; agencyId: string }[];
  total: number;
}

describe('admin: users', () => {
  let t: TestContext;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await login(t.app, 'admin');
  });
  afterAll(async () => t.close());

  it('searches by name, user name or e-mail, filters by agency, role and status, and pages', async () => {
    const byName = (await call(t, admin, 'GET', `/api/admin/users?q=${encodeURIComponent('maria')}`)).json() as Page;
    expect(byName.items.map((u) => u.username)).toEqual(['police']);
    const byMail = (await call(t, admin, 'GET', '/api/admin/users?q=sara.lind%40')).json() as Page;
    expect(byMail.items.map((u) => u.username)).toEqual(['social']);
    // A wildcard typed by the user is a plain character.
    expect(((await call(t, admin, 'GET', '/api/admin/users?q=%25')).json() as Page).total).toBe(0);
    const police = await agencyIdOfKind(t, 'police');
    const ofPolice = (await call(t, admin, 'GET', `/api/admin/users?agencyId=${police}`)).json() as Page;
    expect(ofPolice.items.every((u) => u.agencyId === police)).toBe(true);
    const admins = (await call(t, admin, 'GET', '/api/admin/users?role=admin')).json() as Page;
    expect(admins.items.map((u) => u.username)).toEqual(['admin', 'admin2']);
    const page = (await call(t, admin, 'GET', '/api/admin/users?limit=2&offset=1')).json() as Page;
    expect(page.items).toHaveLength(2);
    expect(page.total).toBeGreaterThanOrEqual(8);
    expect(((await call(t, admin, 'GET', '/api/admin/users?active=false')).json() as Page).total).toBe(0);
    for (const bad of ['limit=0', 'limit=101', 'role=superuser', 'agencyId=x', 'active=maybe', 'extra=1']) {
      expect((await call(t, admin, 'GET', `/api/admin/users?${bad}`)).statusCode, bad).toBe(400);
    }
    expect(JSON.stringify(page)).not.toMatch(/password|hash|secret/i);
  });

  it('edits name, e-mail and provider subject, with the change log before and after; a move waits', async () => {
    const id = await userId(t, 'school');
    const leisure = await agencyIdOfKind(t, 'leisure');
    const res = await call(t, admin, 'PATCH', `/api/admin/users/${id}`, {
      displayName: 'Johan Ekström',
      email: 'johan.ekstrom@example.org',
      agencyId: leisure,
      oidcSubject: 'school-idp|4711',
    });
    expect(res.statusCode, res.body).toBe(200);
    const school = await agencyIdOfKind(t, 'school');
    expect(res.json()).toMatchObject({
      displayName: 'Johan Ekström',
      email: 'johan.ekstrom@example.org',
      agencyId: school,
      oidcSubject: 'school-idp|4711',
      roles: ['partner'],
      pendingAgencyMove: { agencyId: leisure },
    });
    const change = (
      await t.sql.query("SELECT before, after FROM admin_change WHERE resource_id = $1 AND action = 'admin.user.update'", [id])
    ).rows[0];
    expect(change.before).toMatchObject({ displayName: 'Johan Ek', email: 'johan.ek@example.org', oidcSubject: null });
    expect(change.after).toMatchObject({ displayName: 'Johan Ekström', agencyId: school });
    const cleared = await call(t, admin, 'PATCH', `/api/admin/users/${id}`, { email: null, oidcSubject: null });
    expect(cleared.json()).toMatchObject({ email: null, oidcSubject: null, displayName: 'Johan Ekström' });
  });

  it('refuses malformed changes (400), unknown users (404) and a taken provider subject (409), changing nothing', async () => {
    const id = await userId(t, 'leisure');
    const bad = [
      {},
      { displayName: '' },
      { displayName: '   ' },
      { email: 'not-an-address' },
      { roles: ['superuser'] },
      { roles: ['partner', 'partner'] },
      { agencyId: 'x' },
      { password: 'a-new-password-123' },
      { oidcSubject: 'has space' },
    ];
    for (const payload of bad) {
      expect((await call(t, admin, 'PATCH', `/api/admin/users/${id}`, payload)).statusCode, JSON.stringify(payload)).toBe(400);
    }
    const unknownAgency = await call(t, admin, 'PATCH', `/api/admin/users/${id}`, { agencyId: '00000000-0000-4000-8000-000000000000' });
    expect(unknownAgency.statusCode).toBe(400);
    expect((await call(t, admin, 'PATCH', '/api/admin/users/00000000-0000-4000-8000-000000000000', { displayName: 'X' })).statusCode).toBe(
      404,
    );
    const police = await userId(t, 'police');
    const policeAgency = await agencyIdOfKind(t, 'police');
    await call(t, admin, 'PATCH', `/api/admin/users/${police}`, { oidcSubject: 'polis-1' });
    const move = await call(t, admin, 'PATCH', `/api/admin/users/${id}`, { agencyId: policeAgency });
    const admin2 = await login(t.app, 'admin2');
    await call(t, admin2, 'POST', `/api/admin/role-requests/${move.json().pendingAgencyMove.id}/approve`);
    const taken = await call(t, admin, 'PATCH', `/api/admin/users/${id}`, { oidcSubject: 'polis-1' });
    expect(taken.statusCode).toBe(409);
    expect((await t.sql.query('SELECT oidc_subject FROM app_user WHERE id = $1', [id])).rows[0].oidc_subject).toBeNull();
  });

  it('ending sessions takes effect on the very next request; the account stays active', async () => {
    const token = await login(t.app, 'coordinator');
    const other = await login(t.app, 'coordinator');
    expect((await t.app.inject({ url: '/api/me', headers: bearer(token) })).statusCode).toBe(200);
    const id = await userId(t, 'coordinator');
    const res = await call(t, admin, 'POST', `/api/admin/users/${id}/sessions/end`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ended: 2 });
    expect((await t.app.inject({ url: '/api/me', headers: bearer(token) })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/me', headers: bearer(other) })).statusCode).toBe(401);
    expect(await login(t.app, 'coordinator')).toBeTruthy();
    expect(await auditCount(t, 'admin.user.sessions_end', 'allowed')).toBe(1);
    expect((await call(t, admin, 'POST', '/api/admin/users/00000000-0000-4000-8000-000000000000/sessions/end')).statusCode).toBe(404);
  });

  it('deactivates (sessions end at once) and reactivates; never one’s own account', async () => {
    const id = await userId(t, 'leisure');
    const token = await login(t.app, 'leisure');
    expect((await call(t, admin, 'POST', `/api/admin/users/${id}/deactivate`)).json()).toMatchObject({ active: false, activeSessions: 0 });
    expect((await t.app.inject({ url: '/api/me', headers: bearer(token) })).statusCode).toBe(401);
    expect((await call(t, admin, 'POST', `/api/admin/users/${id}/reactivate`)).json()).toMatchObject({ active: true });
    expect(await login(t.app, 'leisure')).toBeTruthy();
    const me = await userId(t, 'admin');
    expect((await call(t, admin, 'POST', `/api/admin/users/${me}/deactivate`)).statusCode).toBe(400);
    expect((await call(t, admin, 'POST', '/api/admin/users/00000000-0000-4000-8000-000000000000/reactivate')).statusCode).toBe(404);
  });

  it('resets the second factor: TOTP and recovery codes are gone and sessions end', async () => {
    const id = await userId(t, 'auditor');
    const token = await login(t.app, 'auditor');
    await t.sql.query("INSERT INTO user_totp (user_id, secret_sealed, confirmed_at) VALUES ($1, 'sealed', now())", [id]);
    await t.sql.query("INSERT INTO user_recovery_code (id, user_id, code_hash) VALUES (gen_random_uuid(), $1, 'h')", [id]);
    const before = (await call(t, admin, 'GET', `/api/admin/users/${id}`)).json() as { mfaEnrolled: boolean };
    expect(before.mfaEnrolled).toBe(true);
    const res = await call(t, admin, 'POST', `/api/admin/users/${id}/reset-mfa`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ mfaEnrolled: false, activeSessions: 0 });
    expect((await t.sql.query('SELECT count(*)::int AS n FROM user_totp WHERE user_id = $1', [id])).rows[0].n).toBe(0);
    expect((await t.sql.query('SELECT count(*)::int AS n FROM user_recovery_code WHERE user_id = $1', [id])).rows[0].n).toBe(0);
    expect((await t.app.inject({ url: '/api/me', headers: bearer(token) })).statusCode).toBe(401);
    const change = (await t.sql.query("SELECT before, after FROM admin_change WHERE action = 'admin.user.mfa_reset'")).rows[0];
    expect(change).toEqual({ before: { mfaEnrolled: true }, after: { mfaEnrolled: false, sessionsEnded: 1 } });
  });
});
