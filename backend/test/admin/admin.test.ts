import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, createUser, login, type TestContext } from '../helpers/app.js';

describe('admin API', () => {
  let t: TestContext;
  let admin: string;
  let social: string;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await login(t.app, 'admin');
    social = await login(t.app, 'social');
  });
  afterAll(async () => t.close());

  const endpoints = [
    { method: 'GET' as const, url: '/api/admin/agencies' },
    { method: 'POST' as const, url: '/api/admin/agencies', payload: { name: 'Ny skola', kind: 'school' } },
    { method: 'GET' as const, url: '/api/admin/users' },
    {
      method: 'POST' as const,
      url: '/api/admin/users',
      payload: {
        username: 'x1',
        displayName: 'X',
        password: 'long-enough-pass',
        agencyId: '00000000-0000-4000-8000-000000000000',
        roles: ['partner'],
      },
    },
    { method: 'POST' as const, url: '/api/admin/users/00000000-0000-4000-8000-000000000000/deactivate' },
    { method: 'GET' as const, url: '/api/admin/users/00000000-0000-4000-8000-000000000000' },
    { method: 'PATCH' as const, url: '/api/admin/users/00000000-0000-4000-8000-000000000000', payload: { displayName: 'Y' } },
    { method: 'POST' as const, url: '/api/admin/users/00000000-0000-4000-8000-000000000000/reactivate' },
    { method: 'POST' as const, url: '/api/admin/users/00000000-0000-4000-8000-000000000000/reset-mfa' },
    { method: 'POST' as const, url: '/api/admin/users/00000000-0000-4000-8000-000000000000/sessions/end' },
    { method: 'GET' as const, url: '/api/admin/agencies/00000000-0000-4000-8000-000000000000' },
    { method: 'PATCH' as const, url: '/api/admin/agencies/00000000-0000-4000-8000-000000000000', payload: { name: 'Z' } },
    { method: 'POST' as const, url: '/api/admin/agencies/00000000-0000-4000-8000-000000000000/deactivate' },
    { method: 'POST' as const, url: '/api/admin/agencies/00000000-0000-4000-8000-000000000000/reactivate' },
    { method: 'GET' as const, url: '/api/admin/role-requests' },
    { method: 'POST' as const, url: '/api/admin/role-requests/00000000-0000-4000-8000-000000000000/approve' },
    { method: 'POST' as const, url: '/api/admin/role-requests/00000000-0000-4000-8000-000000000000/reject' },
    { method: 'GET' as const, url: '/api/admin/changes' },
    { method: 'GET' as const, url: '/api/admin/options' },
  ];

  it.each(endpoints)('$method $url requires authentication', async (e) => {
    const res = await t.app.inject({ method: e.method, url: e.url, ...(e.payload ? { payload: e.payload } : {}) });
    expect(res.statusCode).toBe(401);
  });

  // The change log is the auditor's too (GET /api/admin/changes); every other admin route is the admin's alone.
  it.each(endpoints)('$method $url is refused (403) to other roles, and the denial is audited', async (e) => {
    const before = (await t.sql.query("SELECT count(*)::int AS n FROM audit_queue WHERE outcome = 'denied'")).rows[0].n;
    const res = await t.app.inject({ method: e.method, url: e.url, headers: bearer(social), ...(e.payload ? { payload: e.payload } : {}) });
    expect(res.statusCode).toBe(403);
    const after = (await t.sql.query("SELECT count(*)::int AS n FROM audit_queue WHERE outcome = 'denied'")).rows[0].n;
    expect(after).toBe(before + 1);
  });

  it('creates and lists agencies; rejects unknown kinds, duplicates and unknown properties', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/admin/agencies',
      headers: bearer(admin),
      payload: { name: 'Sjöboskolan', kind: 'school' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'Sjöboskolan', kind: 'school' });
    const list = (await t.app.inject({ url: '/api/admin/agencies', headers: bearer(admin) })).json() as { name: string }[];
    expect(list.map((a) => a.name)).toContain('Sjöboskolan');
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/admin/agencies',
          headers: bearer(admin),
          payload: { name: 'sjöboskolan', kind: 'school' },
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/admin/agencies', headers: bearer(admin), payload: { name: 'X', kind: 'army' } }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/admin/agencies',
          headers: bearer(admin),
          payload: { name: 'X', kind: 'school', id: 'y' },
        })
      ).statusCode,
    ).toBe(400);
  });

  it('creates users who can sign in; enforces password length, roles and agency', async () => {
    const agencies = (await t.app.inject({ url: '/api/admin/agencies', headers: bearer(admin) })).json() as { id: string; kind: string }[];
    const police = agencies.find((a) => a.kind === 'police')!;
    const base = {
      username: 'kontaktpolis',
      displayName: 'Per Polis',
      password: 'correct-horse-battery',
      agencyId: police.id,
      roles: ['partner'],
    };
    // Created by the admin, then signed in as the user would: the one-time password, a second factor, their own password.
    const { password: _oneTime, ...account } = base;
    const created = await createUser(t.app, admin, { ...account, password: 'blå-cykel-vid-sjöbo-torg' });
    expect(created).toMatchObject({ username: 'kontaktpolis', agencyId: police.id, roles: ['partner'], active: true });
    expect(JSON.stringify(created)).not.toMatch(/argon2|passwordHash/);
    expect(await login(t.app, 'kontaktpolis', 'blå-cykel-vid-sjöbo-torg')).toBeTruthy();

    const bad = [
      { ...base, username: 'short-pw', password: 'elevenchars' },
      { ...base, username: 'badrole', roles: ['superuser'] },
      { ...base, username: 'noroles', roles: [] },
      { ...base, username: 'bad name!' },
      { ...base, username: 'badagency', agencyId: 'not-a-uuid' },
    ];
    for (const payload of bad) {
      const r = await t.app.inject({ method: 'POST', url: '/api/admin/users', headers: bearer(admin), payload });
      expect(r.statusCode, payload.username).toBe(400);
    }
    const unknownAgency = await t.app.inject({
      method: 'POST',
      url: '/api/admin/users',
      headers: bearer(admin),
      payload: { ...base, username: 'ghost', agencyId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(unknownAgency.statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: '/api/admin/users', headers: bearer(admin), payload: base })).statusCode).toBe(409);
    const count = (await t.sql.query("SELECT count(*)::int AS n FROM app_user WHERE username IN ('short-pw','badrole','noroles','ghost')"))
      .rows[0].n;
    expect(count).toBe(0);
  });

  it('deactivating an unknown user → 404; a malformed id → 400', async () => {
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/admin/users/00000000-0000-4000-8000-000000000000/deactivate',
          headers: bearer(admin),
        })
      ).statusCode,
    ).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: '/api/admin/users/123/deactivate', headers: bearer(admin) })).statusCode).toBe(400);
  });
});
