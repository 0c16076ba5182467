import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, login, type TestContext } from '../helpers/app.js';
import { agencyIdOfKind, auditCount, call, userId } from './helpers.js';

interface UserOut {
  id: string;
  roles: string[];
  pendingRoleRequest: { id: string; rolesAfter: string[]; requestedBy: string } | null;
}

describe('four eyes for privileged roles', () => {
  let t: TestContext;
  let admin: string;
  let admin2: string;
  let auditor: string;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await login(t.app, 'admin');
    admin2 = await login(t.app, 'admin2');
    auditor = await login(t.app, 'auditor');
  });
  afterAll(async () => t.close());

  it('granting auditor waits for a second admin; the requester cannot approve; the second admin can', async () => {
    const police = await userId(t, 'police');
    const patched = await call(t, admin, 'PATCH', `/api/admin/users/${police}`, { roles: ['partner', 'auditor'] });
    expect(patched.statusCode, patched.body).toBe(200);
    const user = patched.json() as UserOut;
    expect(user.roles).toEqual(['partner']);
    expect(user.pendingRoleRequest?.rolesAfter).toEqual(['partner', 'auditor']);
    const requestId = user.pendingRoleRequest!.id;

    // The police user is still no auditor.
    const policeToken = await login(t.app, 'police');
    expect((await call(t, policeToken, 'GET', '/api/admin/changes')).statusCode).toBe(403);

    const listed = (await call(t, admin2, 'GET', '/api/admin/role-requests')).json() as { items: { id: string; user: { id: string } }[] };
    expect(listed.items.map((r) => r.id)).toContain(requestId);

    const deniedBefore = await auditCount(t, 'admin.role_request.approve', 'denied');
    const own = await call(t, admin, 'POST', `/api/admin/role-requests/${requestId}/approve`);
    expect(own.statusCode).toBe(403);
    expect(own.json()).toMatchObject({ type: expect.stringContaining('own_request') });
    expect(await auditCount(t, 'admin.role_request.approve', 'denied')).toBe(deniedBefore + 1);

    const approved = await call(t, admin2, 'POST', `/api/admin/role-requests/${requestId}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', rolesAfter: ['partner', 'auditor'], decidedBy: { username: 'admin2' } });

    // At once, in the session the user already had.
    expect((await call(t, policeToken, 'GET', '/api/admin/changes')).statusCode).toBe(200);
    expect((await t.sql.query('SELECT roles FROM app_user WHERE id = $1', [police])).rows[0].roles).toEqual(['partner', 'auditor']);

    // A decided request is not decided again.
    expect((await call(t, admin2, 'POST', `/api/admin/role-requests/${requestId}/reject`)).statusCode).toBe(409);
  });

  it('an admin cannot change their own roles, and the refusal is audited', async () => {
    const me = await userId(t, 'admin');
    const before = await auditCount(t, 'admin.user.update', 'denied');
    const res = await call(t, admin, 'PATCH', `/api/admin/users/${me}`, { roles: ['admin', 'auditor'] });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ type: expect.stringContaining('own_roles') });
    expect(await auditCount(t, 'admin.user.update', 'denied')).toBe(before + 1);
    expect((await t.sql.query('SELECT count(*)::int AS n FROM role_request WHERE user_id = $1', [me])).rows[0].n).toBe(0);
    // Their own display name is theirs to change.
    expect((await call(t, admin, 'PATCH', `/api/admin/users/${me}`, { displayName: 'Nils Strand' })).statusCode).toBe(200);
  });

  it('removing a role and adding a non-privileged one take effect at once', async () => {
    const coordinator = await userId(t, 'coordinator');
    const res = await call(t, admin, 'PATCH', `/api/admin/users/${coordinator}`, { roles: ['coordinator', 'partner'] });
    expect(res.json()).toMatchObject({ roles: ['partner', 'coordinator'], pendingRoleRequest: null });
    const token = await login(t.app, 'auditor');
    const auditorId = await userId(t, 'auditor');
    expect((await call(t, token, 'GET', '/api/admin/changes')).statusCode).toBe(200);
    const removed = await call(t, admin, 'PATCH', `/api/admin/users/${auditorId}`, { roles: [] });
    expect(removed.json()).toMatchObject({ roles: [], pendingRoleRequest: null });
    expect((await call(t, token, 'GET', '/api/admin/changes')).statusCode).toBe(403);
    // Back again: auditor is privileged, so it waits for the other admin.
    const back = (await call(t, admin, 'PATCH', `/api/admin/users/${auditorId}`, { roles: ['auditor'] })).json() as UserOut;
    expect(back.roles).toEqual([]);
    expect((await call(t, admin2, 'POST', `/api/admin/role-requests/${back.pendingRoleRequest!.id}/approve`)).statusCode).toBe(200);
    expect((await call(t, token, 'GET', '/api/admin/changes')).statusCode).toBe(200);
  });

  it('a new user with a privileged role gets the other roles now and a request for the rest; a rejection leaves it so', async () => {
    const social = await agencyIdOfKind(t, 'social_services');
    const created = await call(t, admin, 'POST', '/api/admin/users', {
      username: 'ny.socialsekreterare',
      displayName: 'Ny Socialsekreterare',
      password: 'correct-horse-battery',
      agencyId: social,
      roles: ['social_worker', 'coordinator'],
    });
    expect(created.statusCode, created.body).toBe(201);
    const user = created.json() as UserOut;
    expect(user.roles).toEqual(['coordinator']);
    expect(user.pendingRoleRequest?.rolesAfter).toEqual(['social_worker', 'coordinator']);
    const rejected = await call(t, admin2, 'POST', `/api/admin/role-requests/${user.pendingRoleRequest!.id}/reject`);
    expect(rejected.json()).toMatchObject({ status: 'rejected' });
    const after = (await call(t, admin, 'GET', `/api/admin/users/${user.id}`)).json() as UserOut;
    expect(after).toMatchObject({ roles: ['coordinator'], pendingRoleRequest: null });
  });

  it('a new request for the same user supersedes the pending one', async () => {
    const leisure = await userId(t, 'leisure');
    const first = (await call(t, admin, 'PATCH', `/api/admin/users/${leisure}`, { roles: ['partner', 'admin'] })).json() as UserOut;
    const second = (
      await call(t, admin2, 'PATCH', `/api/admin/users/${leisure}`, { roles: ['partner', 'social_worker'] })
    ).json() as UserOut;
    expect(second.pendingRoleRequest!.id).not.toBe(first.pendingRoleRequest!.id);
    expect((await call(t, admin2, 'POST', `/api/admin/role-requests/${first.pendingRoleRequest!.id}/approve`)).statusCode).toBe(409);
    const all = (await call(t, admin, 'GET', '/api/admin/role-requests?status=superseded')).json() as { items: { id: string }[] };
    expect(all.items.map((r) => r.id)).toContain(first.pendingRoleRequest!.id);
  });

  it('unknown requests → 404, malformed ids and statuses → 400', async () => {
    expect((await call(t, admin2, 'POST', '/api/admin/role-requests/00000000-0000-4000-8000-000000000000/approve')).statusCode).toBe(404);
    expect((await call(t, admin2, 'POST', '/api/admin/role-requests/nope/approve')).statusCode).toBe(400);
    expect((await call(t, admin, 'GET', '/api/admin/role-requests?status=maybe')).statusCode).toBe(400);
  });

  it('the auditor sees every change with its values before and after, and no secret', async () => {
    const police = await userId(t, 'police');
    const res = await call(t, auditor, 'GET', `/api/admin/changes?resourceId=${police}`);
    expect(res.statusCode).toBe(200);
    const page = res.json() as {
      items: { action: string; actor: { username: string }; before: { roles?: string[] }; after: { roles?: string[] } }[];
    };
    const granted = page.items.find((c) => c.action === 'admin.user.roles_granted')!;
    expect(granted).toMatchObject({
      actor: { username: 'admin2' },
      before: { roles: ['partner'] },
      after: { roles: ['partner', 'auditor'] },
    });
    expect(page.items.some((c) => c.action === 'admin.user.update' && c.actor.username === 'admin')).toBe(true);
    expect(res.body).not.toMatch(/password|argon2|\$argon/i);
    expect(await auditCount(t, 'admin.change.list', 'allowed')).toBeGreaterThan(0);
  });
});
