import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { HttpProblem, conflict, notFound } from '../../lib/problem.js';
import type { AuditContext, AuditService } from '../../plugins/app/audit.js';
import type { Role } from '../identity/identity.entities.js';
import type { RoleRequestQuery } from './admin.schemas.js';
import {
  INSERT_REQUEST,
  PENDING_REQUEST_OF_USER,
  REQUEST_DECIDE,
  REQUEST_FOR_DECISION,
  REQUEST_ONE,
  REQUEST_PAGE,
  SET_ROLES,
  SUPERSEDE_REQUEST,
} from './admin.sql.js';
import { applyAgencyMove } from './agency-moves.js';
import { recordChange } from './change-log.js';
import { decisionAllowed } from './four-eyes.policy.js';
import { announceUserRevocation } from './revocation.js';

export interface RoleRequest {
  id: string;
  /** `roles`: a grant of privileged roles; `agency_move`: a move to `agencyAfter` (roles unchanged). */
  kind: 'roles' | 'agency_move';
  agencyBefore: { id: string; name: string } | null;
  agencyAfter: { id: string; name: string } | null;
  user: { id: string; username: string; displayName: string; agencyId: string };
  rolesBefore: Role[];
  rolesAfter: Role[];
  requestedBy: { id: string; username: string; displayName: string };
  requestedAt: string;
  status: 'pending' | 'approved' | 'rejected' | 'superseded';
  decidedBy: { id: string; username: string; displayName: string } | null;
  decidedAt: string | null;
}

const sameRoles = (a: readonly Role[], b: readonly Role[]): boolean => a.length === b.length && a.every((r) => b.includes(r));

/**
 * After a change of a user's roles (in its transaction): a request still pending for that user
 * is superseded, unless it asks for the very same roles; `rolesAfter` (privileged roles were
 * added) becomes a new pending request, which takes effect only when a second admin approves it.
 */
export async function requestRoles(
  audit: AuditService,
  tx: EntityManager,
  ctx: AuditContext,
  change: { userId: string; rolesBefore: Role[]; rolesAfter: Role[] | null },
): Promise<void> {
  const [pending] = await sql<{ id: string; rolesBefore: Role[]; rolesAfter: Role[] }>(tx, PENDING_REQUEST_OF_USER, [change.userId]);
  if (
    pending &&
    change.rolesAfter &&
    sameRoles(pending.rolesAfter, change.rolesAfter) &&
    sameRoles(pending.rolesBefore, change.rolesBefore)
  ) {
    return;
  }
  if (pending) {
    await sql(tx, SUPERSEDE_REQUEST, [pending.id]);
    await recordChange(audit, tx, ctx, {
      action: 'admin.role_request.supersede',
      resourceType: 'role_request',
      resourceId: pending.id,
      before: { userId: change.userId, status: 'pending' },
      after: { userId: change.userId, status: 'superseded' },
    });
  }
  if (!change.rolesAfter) return;
  const id = randomUUID();
  await sql(tx, INSERT_REQUEST, [id, change.userId, change.rolesBefore, change.rolesAfter, ctx.actorId]);
  await recordChange(audit, tx, ctx, {
    action: 'admin.role_request.create',
    resourceType: 'role_request',
    resourceId: id,
    before: null,
    after: { userId: change.userId, status: 'pending', rolesBefore: change.rolesBefore, rolesAfter: change.rolesAfter },
  });
}

interface DecisionRow {
  id: string;
  userId: string;
  requestedBy: string;
  status: RoleRequest['status'];
  rolesBefore: Role[];
  rolesAfter: Role[];
  userRoles: Role[];
  kind: RoleRequest['kind'];
  agencyBefore: string | null;
  agencyAfter: string | null;
  userAgency: string;
}

/** Role requests waiting for (or decided by) a second admin. */
export class RoleRequests {
  constructor(private readonly app: FastifyInstance) {}

  async list(em: EntityManager, query: RoleRequestQuery, ctx: AuditContext): Promise<{ items: RoleRequest[]; total: number }> {
    const status = query.status === 'all' ? null : (query.status ?? 'pending');
    const [page] = await sql<{ items: RoleRequest[]; total: number }>(em, REQUEST_PAGE, [
      status,
      status,
      query.limit ?? 50,
      query.offset ?? 0,
    ]);
    await this.app.audit.record(em, ctx, { action: 'admin.role_request.list', resourceType: 'role_request', outcome: 'allowed' });
    return page ?? { items: [], total: 0 };
  }

  /**
   * Approves or rejects a pending request. Never by the admin who made it, nor by the user it is
   * for (refusals are audited); approval gives the user the requested roles, or moves them to the
   * requested agency and ends their sessions, at once.
   */
  async decide(em: EntityManager, requestId: string, approve: boolean, ctx: AuditContext): Promise<RoleRequest> {
    const action = approve ? 'admin.role_request.approve' : 'admin.role_request.reject';
    const [found] = await sql<DecisionRow>(em, REQUEST_FOR_DECISION, [requestId]);
    if (!found) throw notFound();
    const allowed = decisionAllowed(found, ctx.actorId ?? '');
    if (allowed !== 'allowed') {
      await this.app.audit.record(em, ctx, {
        action,
        resourceType: 'role_request',
        resourceId: requestId,
        outcome: 'denied',
        reason: allowed,
      });
      throw allowed === 'own_request'
        ? new HttpProblem(403, 'own_request', 'Forbidden', 'You made this request. Another admin must approve or reject it.')
        : new HttpProblem(
            403,
            'own_roles',
            'Forbidden',
            found.kind === 'agency_move'
              ? 'This request is about moving you to another agency. Another admin must decide it.'
              : 'This request is about your own roles. Another admin must decide it.',
          );
    }
    await transaction(em, async (tx) => {
      const [r] = await sql<DecisionRow>(tx, `${REQUEST_FOR_DECISION} FOR UPDATE OF r`, [requestId]);
      if (!r || r.status !== 'pending')
        throw conflict('This request has already been decided or replaced. Reload the list.', 'request_decided');
      if (approve && r.kind === 'roles' && !sameRoles(r.userRoles, r.rolesBefore)) {
        throw conflict("The user's roles changed after the request was made. Make a new request.", 'request_stale');
      }
      await sql(tx, REQUEST_DECIDE, [approve ? 'approved' : 'rejected', ctx.actorId, requestId]);
      await recordChange(this.app.audit, tx, ctx, {
        action,
        resourceType: 'role_request',
        resourceId: requestId,
        before: { userId: r.userId, kind: r.kind, status: 'pending' },
        after: { userId: r.userId, kind: r.kind, status: approve ? 'approved' : 'rejected' },
      });
      if (approve && r.kind === 'agency_move') {
        await applyAgencyMove(this.app.audit, tx, ctx, {
          userId: r.userId,
          agencyBefore: r.agencyBefore!,
          agencyAfter: r.agencyAfter!,
          userAgency: r.userAgency,
        });
      } else if (approve) {
        await sql(tx, SET_ROLES, [r.rolesAfter, r.userId]);
        await recordChange(this.app.audit, tx, ctx, {
          action: 'admin.user.roles_granted',
          resourceType: 'user',
          resourceId: r.userId,
          before: { roles: r.userRoles },
          after: { roles: r.rolesAfter },
        });
        await announceUserRevocation(tx, r.userId);
      }
    });
    if (approve) this.app.identity.sessions.revokeUser(found.userId);
    const [row] = await sql<{ request: RoleRequest }>(em, REQUEST_ONE, [requestId]);
    return row!.request;
  }
}
