import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyRequest } from 'fastify';

export type AuditOutcome = 'allowed' | 'denied' | 'error';

/** One audit event: references only, never names or free text. */
export interface AuditEvent {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  caseId?: string | null;
  subjectId?: string | null;
  outcome: AuditOutcome;
  reason?: string | null;
  consentIds?: readonly string[];
}

/** Who did it and from where; taken from the request. */
export interface AuditContext {
  actorId: string | null;
  actorAgencyId: string | null;
  actorRole: string | null;
  requestId: string;
  clientIp: string | null;
}

export function auditContextOf(request: FastifyRequest, override?: Partial<AuditContext>): AuditContext {
  const a = request.actor;
  return {
    actorId: a?.id ?? null,
    actorAgencyId: a?.agencyId ?? null,
    actorRole: a ? a.roles.join(',') : null,
    requestId: String(request.id),
    clientIp: request.ip ?? null,
    ...override,
  };
}

const COLUMNS = [
  'event_id', 'actor_id', 'actor_agency_id', 'actor_role', 'action', 'resource_type', 'resource_id',
  'case_id', 'subject_id', 'outcome', 'reason', 'consent_ids', 'request_id', 'client_ip',
] as const;

/**
 * Writes audit events into the append-only queue, inside the caller's transaction when `em` is in
 * one: the event commits together with what it records, or not at all.
 */
export class AuditService {
  async record(em: EntityManager, ctx: AuditContext, events: AuditEvent | readonly AuditEvent[]): Promise<void> {
    const list = Array.isArray(events) ? (events as readonly AuditEvent[]) : [events as AuditEvent];
    if (list.length === 0) return;
    const params: unknown[] = [];
    const rows = list.map((e) => {
      const values = [
        randomUUID(), ctx.actorId, ctx.actorAgencyId, ctx.actorRole, e.action, e.resourceType, e.resourceId ?? null,
        e.caseId ?? null, e.subjectId ?? null, e.outcome, e.reason ?? null, `{${(e.consentIds ?? []).join(',')}}`,
        ctx.requestId, ctx.clientIp,
      ];
      const placeholders = values.map((v) => {
        params.push(v);
        return '?';
      });
      return `(${placeholders.join(',')})`;
    });
    await em.getConnection().execute(
      `INSERT INTO audit_queue (${COLUMNS.join(',')}) VALUES ${rows.join(',')}`,
      params,
      'run',
      em.getTransactionContext(),
    );
  }
}
