import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { HttpProblem, badRequest, conflict, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import { Agency, type Role, User } from '../identity/identity.entities.js';
import { initialCredentials } from '../identity/password-policy.js';
import type { UserBody, UserPatchBody, UserQuery } from './admin.schemas.js';
import { END_USER_SESSIONS, RESET_MFA, USER_FOR_UPDATE, USER_ONE, USER_PAGE, USER_SET_ACTIVE, USER_UPDATE } from './admin.sql.js';
import { recordChange } from './change-log.js';
import { requestAgencyMove } from './agency-moves.js';
import { type AdministrationPolicy, planAgencyMove, planRoleChange } from './four-eyes.policy.js';
import { announceUserRevocation } from './revocation.js';
import { requestRoles } from './role-requests.service.js';

export interface AdminUser {
  id: string;
  username: string;
  displayName: string;
  agencyId: string;
  roles: Role[];
  active: boolean;
  email?: string | null;
  oidcSubject?: string | null;
  mfaEnrolled?: boolean;
  activeSessions?: number;
  pendingRoleRequest?: { id: string; rolesAfter: Role[]; requestedBy: string } | null;
  pendingAgencyMove?: { id: string; agencyId: string; requestedBy: string } | null;
}

interface UserFields {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  agencyId: string;
  oidcSubject: string | null;
  roles: Role[];
  active: boolean;
}

const likePattern = (q: string): string => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const ownRolesRefused = (): HttpProblem =>
  new HttpProblem(403, 'own_roles', 'Forbidden', 'An admin cannot change their own roles. Ask another admin to do it.');

/** Users as the admin manages them. Every change is audited with its values before and after. */
export class UsersAdmin {
  constructor(
    private readonly app: FastifyInstance,
    private readonly policy: AdministrationPolicy,
  ) {}

  async list(em: EntityManager, query: UserQuery, ctx: AuditContext): Promise<{ items: AdminUser[]; total: number }> {
    const q = query.q?.trim() ? likePattern(query.q.trim()) : null;
    const [page] = await sql<{ items: AdminUser[]; total: number }>(
      em,
      USER_PAGE,
      [
        q,
        q,
        q,
        q,
        query.agencyId ?? null,
        query.agencyId ?? null,
        query.role ?? null,
        query.role ?? null,
        query.active ?? null,
        query.active ?? null,
        query.limit ?? 50,
        query.offset ?? 0,
      ],
      { planPerCall: true },
    );
    await this.app.audit.record(em, ctx, { action: 'admin.user.list', resourceType: 'user', outcome: 'allowed' });
    return page ?? { items: [], total: 0 };
  }

  async get(em: EntityManager, userId: string, ctx: AuditContext): Promise<AdminUser> {
    const user = await this.read(em, userId);
    await this.app.audit.record(em, ctx, { action: 'admin.user.read', resourceType: 'user', resourceId: userId, outcome: 'allowed' });
    return user;
  }

  private async read(em: EntityManager, userId: string): Promise<AdminUser> {
    const [row] = await sql<{ user: AdminUser }>(em, USER_ONE, [userId]);
    if (!row) throw notFound();
    return row.user;
  }

  /**
   * A new user holds at once the roles a second admin need not approve; the others wait in a
   * role request (four eyes), so a new account never gains a privileged role on one admin's word.
   */
  async create(em: EntityManager, input: UserBody, ctx: AuditContext): Promise<AdminUser & { initialPassword: string }> {
    const username = input.username.trim().toLowerCase();
    const displayName = input.displayName.trim();
    if (!displayName) throw badRequest('The user needs a display name.');
    const { initialPassword, passwordHash } = await initialCredentials(input.password);
    const id = randomUUID();
    const plan = planRoleChange(this.policy, { actorId: ctx.actorId ?? '', userId: id, before: [], requested: input.roles });
    if (plan.kind === 'refused') throw ownRolesRefused();
    await em.transactional(async (tx) => {
      const agency = await tx.findOne(Agency, { id: input.agencyId });
      if (!agency) throw badRequest('The agency does not exist.', 'unknown_agency', '/agencyId');
      if (await tx.count(User, { username })) throw conflict('That user name is taken.', 'username_taken');
      tx.create(User, {
        id,
        username,
        displayName,
        passwordHash,
        agencyId: agency.id,
        roles: plan.roles,
        active: true,
        createdAt: new Date(),
        deactivatedAt: null,
        mustChangePassword: true,
      });
      await tx.flush();
      await recordChange(this.app.audit, tx, ctx, {
        action: 'admin.user.create',
        resourceType: 'user',
        resourceId: id,
        before: null,
        after: { username, displayName, agencyId: agency.id, roles: plan.roles, active: true },
      });
      if (plan.pending) await requestRoles(this.app.audit, tx, ctx, { userId: id, rolesBefore: plan.roles, rolesAfter: plan.pending });
    });
    return { ...(await this.read(em, id)), initialPassword };
  }

  /**
   * A move to another agency waits for a second admin unless `fourEyes.agencyMoves` is off: the
   * user keeps their agency, the answer's `pendingAgencyMove` shows the request.
   */
  async update(em: EntityManager, userId: string, input: UserPatchBody, ctx: AuditContext): Promise<AdminUser> {
    if (input.roles && ctx.actorId === userId) {
      const current = await this.read(em, userId);
      if (planRoleChange(this.policy, { actorId: userId, userId, before: current.roles, requested: input.roles }).kind === 'refused') {
        await this.app.audit.record(em, ctx, {
          action: 'admin.user.update',
          resourceType: 'user',
          resourceId: userId,
          outcome: 'denied',
          reason: 'own_roles',
        });
        throw ownRolesRefused();
      }
    }
    let revoke = false;
    await transaction(em, async (tx) => {
      const [before] = await sql<UserFields>(tx, USER_FOR_UPDATE, [userId]);
      if (!before) throw notFound();
      if (input.agencyId && input.agencyId !== before.agencyId) {
        const [agency] = await sql<{ id: string }>(tx, 'SELECT id FROM agency WHERE id = ?', [input.agencyId]);
        if (!agency) throw badRequest('The agency does not exist. Choose one from the list.', 'unknown_agency', '/agencyId');
      }
      const move = input.agencyId ? planAgencyMove(this.policy, { before: before.agencyId, requested: input.agencyId }) : 'unchanged';
      const plan = input.roles
        ? planRoleChange(this.policy, { actorId: ctx.actorId ?? '', userId, before: before.roles, requested: input.roles })
        : null;
      if (plan?.kind === 'refused') throw ownRolesRefused();
      const roles = plan ? plan.roles : null;
      try {
        await sql(tx, USER_UPDATE, [
          input.displayName?.trim() ?? null,
          input.email !== undefined,
          input.email ?? null,
          move === 'at_once' ? input.agencyId : null,
          input.oidcSubject !== undefined,
          input.oidcSubject ?? null,
          roles,
          userId,
        ]);
      } catch (e) {
        if ((e as { constraint?: string }).constraint === 'app_user_oidc_subject_uq') {
          throw conflict('Another user of this agency has that provider subject. Check the subject and try again.', 'subject_taken');
        }
        throw e;
      }
      const [after] = await sql<UserFields>(tx, USER_FOR_UPDATE, [userId]);
      const { id: _id, username: _u, ...beforeValues } = before;
      const { id: _id2, username: _u2, ...afterValues } = after!;
      await recordChange(this.app.audit, tx, ctx, {
        action: 'admin.user.update',
        resourceType: 'user',
        resourceId: userId,
        before: beforeValues,
        after: afterValues,
      });
      if (plan?.kind === 'apply')
        await requestRoles(this.app.audit, tx, ctx, { userId, rolesBefore: plan.roles, rolesAfter: plan.pending });
      if (move === 'pending') {
        await requestAgencyMove(this.app.audit, tx, ctx, {
          userId,
          roles: after!.roles,
          agencyBefore: before.agencyId,
          agencyAfter: input.agencyId!,
        });
      }
      revoke = after!.agencyId !== before.agencyId || after!.roles.join() !== before.roles.join();
      if (revoke) await announceUserRevocation(tx, userId);
    });
    if (revoke) this.app.identity.sessions.revokeUser(userId);
    return this.read(em, userId);
  }

  /** Deactivation ends every session at once: the user's next request is refused. */
  async setActive(em: EntityManager, userId: string, active: boolean, ctx: AuditContext): Promise<AdminUser> {
    if (!active && userId === ctx.actorId) {
      throw badRequest('You cannot deactivate your own account. Ask another admin to do it.', 'own_account');
    }
    await transaction(em, async (tx) => {
      const [before] = await sql<UserFields>(tx, USER_FOR_UPDATE, [userId]);
      if (!before) throw notFound();
      if (before.active !== active) {
        await sql(tx, USER_SET_ACTIVE, [active, active, userId]);
        if (!active) {
          await sql(tx, END_USER_SESSIONS, [userId]);
          await announceUserRevocation(tx, userId);
        }
      }
      await recordChange(this.app.audit, tx, ctx, {
        action: active ? 'admin.user.reactivate' : 'admin.user.deactivate',
        resourceType: 'user',
        resourceId: userId,
        before: { active: before.active },
        after: { active },
      });
    }).finally(() => {
      if (!active) this.app.identity.sessions.revokeUser(userId);
    });
    return this.read(em, userId);
  }

  /**
   * Ends every session of the user at once, on every instance. Their account stays active:
   * they can sign in again.
   */
  async endSessions(em: EntityManager, userId: string, ctx: AuditContext): Promise<{ ended: number }> {
    const ended = await transaction(em, async (tx) => {
      const [user] = await sql<UserFields>(tx, USER_FOR_UPDATE, [userId]);
      if (!user) throw notFound();
      const [row] = await sql<{ n: number }>(tx, END_USER_SESSIONS, [userId]);
      await announceUserRevocation(tx, userId);
      await recordChange(this.app.audit, tx, ctx, {
        action: 'admin.user.sessions_end',
        resourceType: 'user',
        resourceId: userId,
        before: null,
        after: { sessionsEnded: row?.n ?? 0 },
      });
      return row?.n ?? 0;
    }).finally(() => this.app.identity.sessions.revokeUser(userId));
    return { ended };
  }

  /**
   * Removes the user's second factor (TOTP and recovery codes): they enrol again at their next
   * sign-in. A reset usually follows a lost or stolen device, so their sessions end too.
   */
  async resetMfa(em: EntityManager, userId: string, ctx: AuditContext): Promise<AdminUser> {
    await transaction(em, async (tx) => {
      const [user] = await sql<UserFields>(tx, USER_FOR_UPDATE, [userId]);
      if (!user) throw notFound();
      const [reset] = await sql<{ enrolled: boolean }>(tx, RESET_MFA, [userId, userId]);
      const [ended] = await sql<{ n: number }>(tx, END_USER_SESSIONS, [userId]);
      await announceUserRevocation(tx, userId);
      await recordChange(this.app.audit, tx, ctx, {
        action: 'admin.user.mfa_reset',
        resourceType: 'user',
        resourceId: userId,
        before: { mfaEnrolled: reset?.enrolled ?? false },
        after: { mfaEnrolled: false, sessionsEnded: ended?.n ?? 0 },
      });
    }).finally(() => this.app.identity.sessions.revokeUser(userId));
    return this.read(em, userId);
  }
}
