import type { Static } from '@sinclair/typebox';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../db/sql.js';
import { uuidv7 } from '../../lib/uuid7.js';
import type { AuditContext, AuditEvent, AuditService } from '../../plugins/app/audit.js';
import type { ChangePage } from './admin.schemas.js';
import { CHANGE_PAGE, INSERT_CHANGE } from './admin.sql.js';

export type ChangeResource = 'user' | 'agency' | 'role_request';

/** Administered values only: never a password, a secret or case content. */
export type ChangeValues = Record<string, unknown>;

export interface Change {
  action: string;
  resourceType: ChangeResource;
  resourceId: string;
  before: ChangeValues | null;
  after: ChangeValues | null;
}

/**
 * Records an admin's change twice, in the caller's transaction: the audit event (who, what, which
 * id — signed into the audit chain) and the change row with the values before and after, joined
 * to it by the request id.
 */
export async function recordChange(audit: AuditService, tx: EntityManager, ctx: AuditContext, change: Change): Promise<void> {
  const event: AuditEvent = { action: change.action, resourceType: change.resourceType, resourceId: change.resourceId, outcome: 'allowed' };
  await audit.record(tx, ctx, event);
  await sql(tx, INSERT_CHANGE, [
    uuidv7(),
    ctx.actorId,
    ctx.requestId,
    change.action,
    change.resourceType,
    change.resourceId,
    change.before === null ? null : JSON.stringify(change.before),
    change.after === null ? null : JSON.stringify(change.after),
  ]);
}

/** The change log, newest first; the read is audited before it is answered. */
export async function listChanges(
  audit: AuditService,
  em: EntityManager,
  ctx: AuditContext,
  query: { resourceId?: string; limit?: number; offset?: number },
): Promise<Static<typeof ChangePage>> {
  const resourceId = query.resourceId ?? null;
  const [page] = await sql<Static<typeof ChangePage>>(em, CHANGE_PAGE, [resourceId, resourceId, query.limit ?? 50, query.offset ?? 0]);
  await audit.record(em, ctx, { action: 'admin.change.list', resourceType: 'admin_change', resourceId, outcome: 'allowed' });
  return page ?? { total: 0, items: [] };
}
