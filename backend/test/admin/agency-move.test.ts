import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/config.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { agencies, createCase, type Agencies } from '../cases/fixtures.js';
import { auditCount, call, userId } from './helpers.js';

interface UserOut {
  id: string;
  agencyId: string;
  pendingAgencyMove: { id: string; agencyId: string; requestedBy: string } | null;
  pendingRoleRequest: { id: string; rolesAfter: string[] } | null;
}

/**
 * Four eyes on moving a user to another agency (policies/administration.yaml,
 * `fourEyes.agencyMoves`): the move holds only once a second admin approves it.
 */
describe('four eyes for agency moves', () => {
  let t: TestContext;
  let admin: string;
  let admin2: string;
  let a: Agencies;
  let otherSocial: string;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await login(t.app, 'admin');
    admin2 = await login(t.app, 'admin2');
    a = await agencies(t);
    const created = await call(t, admin, 'POST', '/api/admin/agencies', { name: 'Grannkommunen IFO', kind: 'social_services' });
    otherSocial = created.json().id;
  });
  afterAll(async () => t.close());

  const moveOf = async (id: string, agencyId: string) => call(t, admin, 'PATCH', `/api/admin/users/${id}`, { agencyId });
  const agencyOf = async (id: string): Promise<string> =>
    (await t.sql.query<{ agency_id: string }>('SELECT agency_id FROM app_user WHERE id = $1', [id])).rows[0]!.agency_id;

  it('answers 401 without a session and 403 (audited) to a non-admin', async () => {
    const id = await userId(t, 'leisure');
    const anon = await t.app.inject({ method: 'PATCH', url: `/api/admin/users/${id}`, payload: { agencyId: a.police } });
    expect(anon.statusCode).toBe(401);
    const coordinator = await login(t.app, 'coordinator');
    const denied = await auditCount(t, 'admin.users.write', 'denied');
    expect((await call(t, coordinator, 'PATCH', `/api/admin/users/${id}`, { agencyId: a.police })).statusCode).toBe(403);
    expect(await auditCount(t, 'admin.users.write', 'denied')).toBe(denied + 1);
    expect((await call(t, coordinator, 'GET', '/api/admin/role-requests')).statusCode).toBe(403);
    expect(await agencyOf(id)).toBe(a.leisure);
  });

  it('refuses an unknown agency and a malformed one (400), requesting nothing', async () => {
    const id = await userId(t, 'leisure');
    const unknown = await moveOf(id, '00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ type: expect.stringContaining('unknown_agency') });
    expect((await moveOf(id, 'not-a-uuid')).statusCode).toBe(400);
    const { rows } = await t.sql.query("SELECT 1 FROM role_request WHERE user_id = $1 AND kind = 'agency_move'", [id]);
    expect(rows).toHaveLength(0);
  });

  it('a move waits: the user stays and sees what they saw; self-approval is refused; the second admin approves', async () => {
    const social = await login(t.app, 'social');
    const socialId = await userId(t, 'social');
    const theCase = await createCase(t.app, social, { agencyIds: [a.school] });
    const seeCase = async (token: string) => (await t.app.inject({ url: `/api/cases/${theCase.id}`, headers: bearer(token) })).statusCode;
    expect(await seeCase(social)).toBe(200);

    const res = await moveOf(socialId, otherSocial);
    expect(res.statusCode, res.body).toBe(200);
    const user = res.json() as UserOut;
    expect(user.agencyId).toBe(a.social);
    expect(user.pendingAgencyMove).toMatchObject({ agencyId: otherSocial });
    expect(user.pendingRoleRequest).toBeNull();
    const requestId = user.pendingAgencyMove!.id;

    // Still where they were, in the session they already had.
    expect(await agencyOf(socialId)).toBe(a.social);
    expect((await t.app.inject({ url: '/api/me', headers: bearer(social) })).json()).toMatchObject({ agencyId: a.social });
    expect(await seeCase(social)).toBe(200);

    // The same move again changes nothing; the list shows it with its kind.
    expect(((await moveOf(socialId, otherSocial)).json() as UserOut).pendingAgencyMove?.id).toBe(requestId);
    const listed = (await call(t, admin2, 'GET', '/api/admin/role-requests')).json() as {
      items: { id: string; kind: string; agencyBefore: { id: string }; agencyAfter: { id: string; name: string } }[];
    };
    expect(listed.items.find((r) => r.id === requestId)).toMatchObject({
      kind: 'agency_move',
      agencyBefore: { id: a.social },
      agencyAfter: { id: otherSocial, name: 'Grannkommunen IFO' },
    });

    const deniedBefore = await auditCount(t, 'admin.role_request.approve', 'denied');
    const own = await call(t, admin, 'POST', `/api/admin/role-requests/${requestId}/approve`);
    expect(own.statusCode).toBe(403);
    expect(own.json()).toMatchObject({ type: expect.stringContaining('own_request') });
    expect(await auditCount(t, 'admin.role_request.approve', 'denied')).toBe(deniedBefore + 1);
    expect(await agencyOf(socialId)).toBe(a.social);

    const approved = await call(t, admin2, 'POST', `/api/admin/role-requests/${requestId}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ kind: 'agency_move', status: 'approved', decidedBy: { username: 'admin2' } });
    expect(await agencyOf(socialId)).toBe(otherSocial);

    // Their sessions ended; signed in again, they see the new agency's cases only.
    expect((await t.app.inject({ url: '/api/me', headers: bearer(social) })).statusCode).toBe(401);
    const { rows: live } = await t.sql.query(
      'SELECT 1 FROM user_session WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()',
      [socialId],
    );
    expect(live).toHaveLength(0);
    const again = await login(t.app, 'social');
    expect(await seeCase(again)).toBe(404);

    const changes = await t.sql.query<{ before: unknown; after: { agencyId: string; sessionsEnded: number } }>(
      "SELECT before, after FROM admin_change WHERE resource_id = $1 AND action = 'admin.user.agency_moved'",
      [socialId],
    );
    expect(changes.rows).toHaveLength(1);
    expect(changes.rows[0]!.before).toEqual({ agencyId: a.social });
    expect(changes.rows[0]!.after).toMatchObject({ agencyId: otherSocial });
    expect(changes.rows[0]!.after.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect(await auditCount(t, 'admin.user.agency_moved', 'allowed')).toBe(1);
    const page = (await call(t, admin2, 'GET', `/api/admin/changes?resourceId=${requestId}`)).json() as {
      items: { action: string; after: Record<string, unknown> }[];
    };
    expect(page.items.map((c) => c.action)).toEqual(['admin.role_request.approve', 'admin.role_request.create']);
    expect(page.items[1]!.after).toMatchObject({ kind: 'agency_move', agencyBefore: a.social, agencyAfter: otherSocial });
  });

  it('the moved user cannot decide their own move; a rejected move changes nothing', async () => {
    const id = await userId(t, 'police');
    const res = await moveOf(id, a.leisure);
    const requestId = (res.json() as UserOut).pendingAgencyMove!.id;
    const rejected = await call(t, admin2, 'POST', `/api/admin/role-requests/${requestId}/reject`);
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(rejected.json()).toMatchObject({ kind: 'agency_move', status: 'rejected' });
    expect(await agencyOf(id)).toBe(a.police);
    const after = (await call(t, admin, 'GET', `/api/admin/users/${id}`)).json() as UserOut;
    expect(after).toMatchObject({ agencyId: a.police, pendingAgencyMove: null });
    expect((await call(t, admin2, 'POST', `/api/admin/role-requests/${requestId}/approve`)).statusCode).toBe(409);

    // An admin's own move waits for another admin, and they cannot decide it themselves.
    const admin2Id = await userId(t, 'admin2');
    const ownMove = (await call(t, admin, 'PATCH', `/api/admin/users/${admin2Id}`, { agencyId: a.social })).json() as UserOut;
    const refused = await call(t, admin2, 'POST', `/api/admin/role-requests/${ownMove.pendingAgencyMove!.id}/reject`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      type: expect.stringContaining('own_roles'),
      detail: expect.stringContaining('moving you to another agency'),
    });
    expect(await agencyOf(admin2Id)).toBe(a.it);
  });

  it('a move and a role grant may wait at the same time, one of each kind per user', async () => {
    const id = await userId(t, 'school');
    const res = await call(t, admin, 'PATCH', `/api/admin/users/${id}`, { agencyId: a.leisure, roles: ['partner', 'auditor'] });
    expect(res.statusCode, res.body).toBe(200);
    const user = res.json() as UserOut;
    expect(user.pendingAgencyMove).toMatchObject({ agencyId: a.leisure });
    expect(user.pendingRoleRequest).toMatchObject({ rolesAfter: ['partner', 'auditor'] });
    // Another target replaces the waiting move.
    const replaced = (await moveOf(id, a.police)).json() as UserOut;
    expect(replaced.pendingAgencyMove).toMatchObject({ agencyId: a.police });
    expect(replaced.pendingAgencyMove!.id).not.toBe(user.pendingAgencyMove!.id);
    expect(replaced.pendingRoleRequest!.id).toBe(user.pendingRoleRequest!.id);
    const { rows } = await t.sql.query<{ status: string }>(
      "SELECT status FROM role_request WHERE user_id = $1 AND kind = 'agency_move' ORDER BY requested_at",
      [id],
    );
    expect(rows.map((r) => r.status)).toEqual(['superseded', 'pending']);
    // Approving the move leaves the role grant waiting.
    expect((await call(t, admin2, 'POST', `/api/admin/role-requests/${replaced.pendingAgencyMove!.id}/approve`)).statusCode).toBe(200);
    const moved = (await call(t, admin, 'GET', `/api/admin/users/${id}`)).json() as UserOut;
    expect(moved).toMatchObject({
      agencyId: a.police,
      pendingAgencyMove: null,
      pendingRoleRequest: { rolesAfter: ['partner', 'auditor'] },
    });
  });
});

describe('agency moves without four eyes (fourEyes.agencyMoves: false)', () => {
  let t: TestContext;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policies-'));
    fs.cpSync(path.join(repoRoot, 'policies'), dir, { recursive: true });
    const file = path.join(dir, 'administration.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('agencyMoves: true', 'agencyMoves: false'));
    t = await createTestApp({ POLICIES_DIR: dir });
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('the move holds at once and nothing waits', async () => {
    const admin = await login(t.app, 'admin');
    const a = await agencies(t);
    const id = await userId(t, 'leisure');
    const res = await call(t, admin, 'PATCH', `/api/admin/users/${id}`, { agencyId: a.police });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ agencyId: a.police, pendingAgencyMove: null });
    const { rows } = await t.sql.query("SELECT 1 FROM role_request WHERE user_id = $1 AND kind = 'agency_move'", [id]);
    expect(rows).toHaveLength(0);
  });
});
