import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../../db/sql.js';
import { notFound } from '../../../lib/problem.js';
import { LEDGER_TIMEZONE } from '../../consents/ledger.js';
import type { CitizenActor, CitizenRelation } from '../citizen.types.js';
import { relationTo, type CitizenAuditContextOf } from '../consents/citizen-consents.service.js';
import type {
  CitizenDisclosuresOut,
  CitizenDisclosuresQuery,
  CitizenExtractEventOut,
  CitizenExtractOut,
} from './citizen-ledger.schemas.js';

/** Actor roles of citizens in the audit trail: the only actors whose ids the person's copy keeps. */
const CITIZEN_ROLES: ReadonlySet<string> = new Set(['citizen', 'citizen_subject', 'citizen_guardian']);

/** The ledger of one subject per day × receiving agency × category, the newest `limit` days before a day. */
const DAYS_SQL = `WITH g AS (
    SELECT (d.disclosed_at AT TIME ZONE '${LEDGER_TIMEZONE}')::date AS day, d.to_agency_id, d.category, count(*)::int AS n
    FROM disclosure d
    WHERE d.subject_id = ? AND (?::date IS NULL OR d.disclosed_at < (?::date)::timestamp AT TIME ZONE '${LEDGER_TIMEZONE}')
    GROUP BY 1, 2, 3
  ), picked AS (
    SELECT DISTINCT day FROM g ORDER BY day DESC LIMIT ?
  )
  SELECT (SELECT coalesce(json_agg(json_build_object('date', g.day::text, 'agencyId', g.to_agency_id, 'agencyName', coalesce(a.name, ''),
            'category', g.category, 'count', g.n) ORDER BY g.day DESC, a.name, g.to_agency_id, g.category), '[]'::json)
          FROM g JOIN picked p ON p.day = g.day LEFT JOIN agency a ON a.id = g.to_agency_id) AS days,
    (SELECT min(day)::text FROM picked) AS oldest,
    (SELECT count(DISTINCT day) FROM g) > ? AS more`;

interface DayRow {
  date: string;
  agencyId: string;
  agencyName: string;
  category: string;
  count: number;
}

/**
 * Who received what (from the disclosure ledger), per Stockholm day × receiving agency ×
 * category, newest day first, paged by whole days (so a day is never split over two pages); and
 * the person's log extract. Agencies and roles are named, staff never: no user id or name, no
 * client address. Only subjects the citizen fully sees; anything else is 404, audited.
 */
export class CitizenLedgerService {
  constructor(private readonly app: FastifyInstance) {}

  /** The relation in which the citizen fully sees `subjectId`; else the refusal is audited and the answer is 404. */
  private async subjectInScope(
    em: EntityManager,
    actor: CitizenActor,
    subjectId: string,
    action: string,
    ctxOf: CitizenAuditContextOf,
  ): Promise<CitizenRelation> {
    const relation = relationTo((await this.app.citizen.scope(em, actor)).relations, subjectId);
    if (!relation || relation.access !== 'full') {
      await this.app.audit.record(em, ctxOf(relation ?? null), {
        action,
        resourceType: 'subject',
        resourceId: subjectId,
        subjectId: relation ? subjectId : null,
        outcome: 'denied',
        reason: relation ? 'contact_social_worker' : 'not_in_scope',
      });
      throw notFound();
    }
    return relation;
  }

  async disclosures(
    em: EntityManager,
    actor: CitizenActor,
    query: CitizenDisclosuresQuery,
    ctxOf: CitizenAuditContextOf,
  ): Promise<CitizenDisclosuresOut> {
    const action = 'citizen.disclosure.read';
    const relation = await this.subjectInScope(em, actor, query.subjectId, action, ctxOf);
    const before = query.before ?? null;
    const [row] = await sql<{ days: DayRow[]; oldest: string | null; more: boolean }>(em, DAYS_SQL, [
      query.subjectId,
      before,
      before,
      query.limit,
      query.limit,
    ]);
    await this.app.audit.record(em, ctxOf(relation), {
      action,
      resourceType: 'subject',
      resourceId: query.subjectId,
      subjectId: query.subjectId,
      outcome: 'allowed',
    });
    const categories = this.app.policy.policies.categories.categories;
    return {
      days: row!.days.map((d) => ({ ...d, categoryLabel: categories[d.category]?.description ?? d.category })),
      nextBefore: row!.more ? row!.oldest : null,
    };
  }

  /**
   * The subject's art. 15 extract as the audit trail builds it (every event with its Merkle
   * inclusion proof against the latest signed checkpoint; a protected person's agencies held back
   * until an auditor's secrecy review releases them), in the person's copy: staff are left out —
   * no user id or name, nor the reviewing auditor — and no client address but the requester's
   * own. Agencies and roles stay. An event left whole recomputes to its leaf hash; every event's
   * leaf hash is proven to be in the signed log.
   */
  async extract(em: EntityManager, actor: CitizenActor, subjectId: string, ctxOf: CitizenAuditContextOf): Promise<CitizenExtractOut> {
    const action = 'citizen.extract';
    const relation = await this.subjectInScope(em, actor, subjectId, action, ctxOf);
    const me = ctxOf(relation);
    await this.app.audit.record(em, me, { action, resourceType: 'subject', resourceId: subjectId, subjectId, outcome: 'allowed' });
    const x = await this.app.auditQueries.extract(em, subjectId);
    return {
      format: 'samverka-citizen-extract/v1',
      subjectId,
      generatedAt: new Date().toISOString(),
      publicKey: this.app.auditQueries.publicKey(),
      checkpoint: x.checkpoint,
      events: x.events.map((e): CitizenExtractEventOut => {
        const citizen = e.actorRole !== null && CITIZEN_ROLES.has(e.actorRole);
        // The requester's own events stay whole (their address is theirs); another person's address is not for them.
        const self = citizen && e.actorId === me.actorId && e.actorRole === me.actorRole;
        const redacted: CitizenExtractEventOut['redacted'] = [];
        if (!citizen && e.actorId !== null) redacted.push('actorId');
        if (!self && e.clientIp !== null) redacted.push('clientIp');
        return {
          seq: e.seq,
          eventId: e.eventId,
          occurredAt: e.occurredAt,
          actorId: citizen ? e.actorId : null,
          actorAgencyId: e.actorAgencyId,
          agencyName: e.agencyName,
          actorRole: e.actorRole,
          action: e.action,
          resourceType: e.resourceType,
          resourceId: e.resourceId,
          caseId: e.caseId,
          subjectId: e.subjectId,
          outcome: e.outcome,
          reason: e.reason,
          consentIds: e.consentIds,
          requestId: e.requestId,
          clientIp: self ? e.clientIp : null,
          leafIndex: e.leafIndex,
          leafHash: e.leafHash,
          inclusionProof: e.inclusionProof,
          redacted,
        };
      }),
      unsequenced: x.unsequenced,
      truncated: x.truncated,
      limit: x.limit,
      protectedIdentity: x.protectedIdentity,
      agenciesHeldBack: x.agenciesHeldBack,
      secrecyReview: x.secrecyReview
        ? { decision: x.secrecyReview.decision, reasonCode: x.secrecyReview.reasonCode, reviewedAt: x.secrecyReview.reviewedAt }
        : null,
    };
  }
}
