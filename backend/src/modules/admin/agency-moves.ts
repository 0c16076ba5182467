import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../db/sql.js';
import { conflict } from '../../lib/problem.js';
import type { AuditContext, AuditService } from '../../plugins/app/audit.js';
import type { Role } from '../identity/identity.entities.js';
import { END_USER_SESSIONS, INSERT_MOVE, PENDING_MOVE_OF_USER, SET_AGENCY, SUPERSEDE_REQUEST } from './admin.sql.js';
import { recordChange } from './change-log.js';
import { announceUserRevocation } from './revocation.js';

/**
 * In the transaction of a user's change: a move to `agencyAfter` waits for a second admin. A
 * move already pending to the same agency stays as it is; one to another agency is superseded.
 */
export async function requestAgencyMove(
  audit: AuditService,
  tx: EntityManager,
  ctx: AuditContext,
  move: { userId: string; roles: Role[]; agencyBefore: string; agencyAfter: string },
): Promise<void> {
  const [pending] = await sql<{ id: string; agencyAfter: string }>(tx, PENDING_MOVE_OF_USER, [move.userId]);
  if (pending?.agencyAfter === move.agencyAfter) return;
  if (pending) {
    await sql(tx, SUPERSEDE_REQUEST, [pending.id]);
    await recordChange(audit, tx, ctx, {
      action: 'admin.role_request.supersede',
      resourceType: 'role_request',
      resourceId: pending.id,
      before: { userId: move.userId, kind: 'agency_move', status: 'pending' },
      after: { userId: move.userId, kind: 'agency_move', status: 'superseded' },
    });
  }
  const id = randomUUID();
  await sql(tx, INSERT_MOVE, [id, move.userId, move.roles, move.roles, move.agencyBefore, move.agencyAfter, ctx.actorId]);
  await recordChange(audit, tx, ctx, {
    action: 'admin.role_request.create',
    resourceType: 'role_request',
    resourceId: id,
    before: null,
    after: { userId: move.userId, kind: 'agency_move', status: 'pending', agencyBefore: move.agencyBefore, agencyAfter: move.agencyAfter },
  });
}

/**
 * An approved move, in the decision's transaction: the user changes agency and every session of
 * theirs ends (as on deactivation), since what they may see has changed. The caller clears this
 * instance's session cache after the commit.
 */
export async function applyAgencyMove(
  audit: AuditService,
  tx: EntityManager,
  ctx: AuditContext,
  move: { userId: string; agencyBefore: string; agencyAfter: string; userAgency: string },
): Promise<void> {
  if (move.userAgency !== move.agencyBefore) {
    throw conflict("The user's agency changed after the move was asked for. Make a new request.", 'request_stale');
  }
  try {
    await sql(tx, SET_AGENCY, [move.agencyAfter, move.userId]);
  } catch (e) {
    if ((e as { constraint?: string }).constraint === 'app_user_oidc_subject_uq') {
      throw conflict('A user of the new agency has the same provider subject. Change the subject first.', 'subject_taken');
    }
    throw e;
  }
  const [ended] = await sql<{ n: number }>(tx, END_USER_SESSIONS, [move.userId]);
  await announceUserRevocation(tx, move.userId);
  await recordChange(audit, tx, ctx, {
    action: 'admin.user.agency_moved',
    resourceType: 'user',
    resourceId: move.userId,
    before: { agencyId: move.agencyBefore },
    after: { agencyId: move.agencyAfter, sessionsEnded: ended?.n ?? 0 },
  });
}
