import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { badRequest, conflict, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { decideRelation, type ProtectedIdentity, type ReviewDecision } from '../citizen/citizen.scope.js';
import { ageOn, stockholmDate } from '../consents/calendar.js';
import type { CreateRequestBody, RequestOut } from './consent-requests.schemas.js';
import { pgArray, requestRows, stateOf, type RequestRow } from './request-rows.js';
import { requiredAnswerers } from './request-status.js';

const DAY_MS = 86_400_000;

/** Who may answer a request in the e-service: the facts `decideRelation` needs, per person. */
interface ReachRow {
  birth_date: string;
  subject_pin: boolean;
  subject_protected: ProtectedIdentity;
  subject_review: ReviewDecision | null;
  guardians: { id: string; custody: boolean; pin: boolean; protected: ProtectedIdentity; review: ReviewDecision | null }[];
  agencies: { id: string; name: string }[];
}

const REACH_SQL = `
  SELECT s.birth_date::text AS birth_date, s.personal_identity_number IS NOT NULL AS subject_pin, s.protected_identity AS subject_protected,
         (SELECT v.decision FROM citizen_access_review v WHERE v.subject_id = s.id AND v.guardian_id IS NULL
           ORDER BY v.reviewed_at DESC, v.id DESC LIMIT 1) AS subject_review,
         (SELECT coalesce(json_agg(json_build_object('id', g.id, 'custody', g.custody, 'pin', g.personal_identity_number IS NOT NULL,
                   'protected', g.protected_identity,
                   'review', (SELECT v.decision FROM citizen_access_review v WHERE v.subject_id = s.id AND v.guardian_id = g.id
                               ORDER BY v.reviewed_at DESC, v.id DESC LIMIT 1)) ORDER BY g.created_at, g.id), '[]'::json)
            FROM guardian g WHERE g.subject_id = s.id) AS guardians,
         (SELECT coalesce(json_agg(json_build_object('id', a.id, 'name', a.name)), '[]'::json) FROM agency a WHERE a.id = ANY(?::uuid[])) AS agencies
    FROM support_case k JOIN subject s ON s.id = k.subject_id
   WHERE k.id = ? FOR SHARE OF k`;

/**
 * Consent requests, the owning unit's side: its social worker prepares the exact scope of a
 * consent for the person (and each guardian with custody) to answer in the e-service, lists the
 * case's requests with their answers, and cancels an open one.
 */
export class ConsentRequestsService {
  constructor(private readonly app: FastifyInstance) {}

  private get rules() {
    return this.app.policy.policies.consent;
  }

  private toOut(r: RequestRow): RequestOut {
    const names = new Map(r.agencies.map((a) => [a.id, a.name]));
    const { status, awaiting } = stateOf(this.rules, r);
    return {
      id: r.id,
      caseId: r.case_id,
      agencyIds: r.agency_ids,
      agencyNames: r.agency_ids.map((a) => names.get(a) ?? ''),
      categories: r.categories,
      purpose: r.purpose,
      explanation: r.explanation,
      validFrom: r.valid_from,
      validTo: r.valid_to,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      status,
      answers: r.answers.map((a) => ({
        answeredByKind: a.kind,
        guardianId: a.guardianId,
        decision: a.decision,
        answeredAt: a.answeredAt,
        consentId: a.consentId,
        reason: a.reason,
      })),
      awaiting: awaiting.map((p) => ({ kind: p.kind, guardianId: p.kind === 'guardian' ? p.guardianId : null })),
    };
  }

  async create(em: EntityManager, actor: Actor, caseId: string, body: CreateRequestBody, ctx: AuditContext): Promise<RequestOut> {
    const facts = await this.app.consents.ownedCase(em, actor, caseId, 'consent.request.create', ctx);
    if (facts.status === 'closed') throw conflict('The case is closed. Reopen it before asking for a consent.', 'case_closed');
    this.app.consents.validateScope(body);
    if (!body.agencyIds.includes(facts.ownerAgencyId))
      throw badRequest('The agencies must include your own agency, which owns the case.', 'owner_agency_required', '/agencyIds');
    const now = new Date();
    if (body.validTo < stockholmDate(now))
      throw badRequest('validTo has passed; a request must be for a period that has not ended.', 'period_ended', '/validTo');
    const citizen = this.app.policy.policies.citizen;
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : new Date(now.getTime() + citizen.requestValidDays * DAY_MS);
    if (expiresAt.getTime() <= now.getTime())
      throw badRequest('expiresAt has passed; give a time in the future.', 'invalid_expiry', '/expiresAt');
    if (expiresAt.getTime() > now.getTime() + citizen.requestMaxValidDays * DAY_MS)
      throw badRequest(
        `A request can stay open at most ${citizen.requestMaxValidDays} days: choose an earlier expiresAt.`,
        'expiry_too_late',
        '/expiresAt',
      );
    const id = randomUUID();
    return transaction(em, async (tx) => {
      const [reach] = await sql<ReachRow>(tx, REACH_SQL, [pgArray(body.agencyIds), caseId]);
      if (!reach) throw notFound();
      const names = new Map(reach.agencies.map((a) => [a.id, a.name]));
      if (body.agencyIds.some((a) => !names.has(a)))
        throw badRequest('An agency does not exist; check the agency ids.', 'unknown_agency', '/agencyIds');
      this.checkReachable(reach, now);
      await sql(
        tx,
        `INSERT INTO consent_request (id, case_id, subject_id, agency_ids, categories, purpose, explanation, valid_from, valid_to, created_by, expires_at)
         VALUES (?, ?, ?, ?::uuid[], ?::text[], ?, ?, ?::date, ?::date, ?, ?)`,
        [
          id,
          caseId,
          facts.subjectId,
          pgArray(body.agencyIds),
          pgArray(body.categories),
          body.purpose.trim(),
          body.explanation?.trim() ?? null,
          body.validFrom,
          body.validTo,
          actor.id,
          expiresAt,
        ],
      );
      await this.app.audit.record(tx, ctx, {
        action: 'consent.request.create',
        resourceType: 'consent_request',
        resourceId: id,
        caseId,
        subjectId: facts.subjectId,
        outcome: 'allowed',
      });
      return this.toOut((await requestRows(tx, 'r.id = ?', [id]))[0]!);
    });
  }

  /**
   * Every party who must consent today must be able to answer in the e-service: signed in with
   * a personal identity number on record, and not held back to "contact your social worker".
   */
  private checkReachable(reach: ReachRow, now: Date): void {
    const required = requiredAnswerers(this.rules, { subjectBirthDate: reach.birth_date, guardians: reach.guardians, at: now });
    const policy = this.app.policy.policies.citizen;
    const age = ageOn(reach.birth_date, stockholmDate(now));
    const none = { custody: true, guardianProtectedIdentity: 'none', guardianReview: null } as const;
    const subject = { subjectAge: age, subjectProtectedIdentity: reach.subject_protected, subjectReview: reach.subject_review };
    const problems = new Set<string>();
    if (required.length === 0) problems.add('nobody on record may consent for the person (no guardian with custody)');
    for (const p of required) {
      if (p.kind === 'subject') {
        if (!reach.subject_pin) problems.add('the person has no personal identity number on record');
        else if (decideRelation(policy, { as: 'subject', ...none, ...subject }) !== 'full')
          problems.add('the person has protected identity and no secrecy review releases the e-service');
      } else {
        const g = reach.guardians.find((x) => x.id === p.guardianId)!;
        if (!g.pin) problems.add('a guardian with custody has no personal identity number on record');
        else if (
          decideRelation(policy, {
            as: 'guardian',
            ...subject,
            custody: g.custody,
            guardianProtectedIdentity: g.protected,
            guardianReview: g.review,
          }) !== 'full'
        )
          problems.add('a guardian with custody has protected identity and no secrecy review releases the e-service');
      }
    }
    if (problems.size > 0)
      throw badRequest(
        `Not everyone who must consent can answer in the e-service: ${[...problems].join('; ')}. ` +
          'Complete their details, or record the consent on paper instead.',
        'no_reachable_party',
      );
  }

  async list(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<RequestOut[]> {
    const facts = await this.app.consents.ownedCase(em, actor, caseId, 'consent.request.read', ctx);
    const rows = await requestRows(em, 'r.case_id = ?', [caseId]);
    await this.app.audit.record(em, ctx, {
      action: 'consent.request.read',
      resourceType: 'consent_request',
      caseId,
      subjectId: facts.subjectId,
      outcome: 'allowed',
    });
    return rows.map((r) => this.toOut(r));
  }

  async cancel(em: EntityManager, actor: Actor, caseId: string, requestId: string, ctx: AuditContext): Promise<RequestOut> {
    const facts = await this.app.consents.ownedCase(em, actor, caseId, 'consent.request.cancel', ctx);
    if (facts.status === 'closed') throw conflict('The case is closed. Reopen it before changing its requests.', 'case_closed');
    const event = {
      action: 'consent.request.cancel',
      resourceType: 'consent_request',
      resourceId: requestId,
      caseId,
      subjectId: facts.subjectId,
    };
    return transaction(em, async (tx) => {
      const locked = await sql(tx, 'SELECT 1 FROM consent_request WHERE id = ? AND case_id = ? FOR UPDATE', [requestId, caseId]);
      if (locked.length === 0) {
        await this.app.audit.record(tx, ctx, { ...event, outcome: 'denied', reason: 'not_found' });
        return null;
      }
      const row = (await requestRows(tx, 'r.id = ?', [requestId]))[0]!;
      const { status } = stateOf(this.rules, row);
      if (status !== 'open') throw conflict(`The request is already ${status}; only an open request can be cancelled.`, 'request_closed');
      await sql(tx, 'UPDATE consent_request SET cancelled_at = clock_timestamp(), cancelled_by = ? WHERE id = ?', [actor.id, requestId]);
      await this.app.audit.record(tx, ctx, { ...event, outcome: 'allowed' });
      return this.toOut((await requestRows(tx, 'r.id = ?', [requestId]))[0]!);
    }).then((out) => {
      if (!out) throw notFound();
      return out;
    });
  }
}
