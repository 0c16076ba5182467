import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { badRequest, conflict, HttpProblem, notFound } from '../../lib/problem.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { decideRelation, type ProtectedIdentity, type ReviewDecision } from '../citizen/citizen.scope.js';
import type { CitizenActor, CitizenRelation } from '../citizen/citizen.types.js';
import { ageOn, stockholmDate } from '../consents/calendar.js';
import type { Party } from '../consents/gate.js';
import type { CitizenRequestOut, CreateRequestBody, RequestOut } from './consent-requests.schemas.js';
import { requestStatus, requiredAnswerers, sameParty, type AnswerDecision, type RequestState } from './request-status.js';

const ts = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const pgArray = (values: readonly string[]): string => `{${values.map((v) => `"${v}"`).join(',')}}`;
const DAY_MS = 86_400_000;

interface AnswerRow {
  kind: Party['kind'];
  guardianId: string | null;
  decision: AnswerDecision;
  answeredAt: string;
  consentId: string | null;
  reason: string | null;
}

/** A request with what its status needs (answers, the subject's birth date and guardians) and the names it shows. */
interface RequestRow {
  id: string;
  case_id: string;
  subject_id: string;
  case_status: string;
  owner_agency_id: string;
  created_by: string;
  agency_ids: string[];
  agencies: { id: string; name: string }[];
  categories: string[];
  purpose: string;
  explanation: string | null;
  valid_from: string;
  valid_to: string;
  created_at: string;
  expires_at: string;
  cancelled_at: string | null;
  birth_date: string | null;
  first_name: string;
  guardians: { id: string; custody: boolean }[];
  answers: AnswerRow[];
}

const REQUEST_SQL = `
  SELECT r.id, r.case_id, r.subject_id, k.status AS case_status, k.owner_agency_id, r.created_by,
         r.agency_ids::text[] AS agency_ids, r.categories, r.purpose, r.explanation,
         r.valid_from::text AS valid_from, r.valid_to::text AS valid_to,
         ${ts('r.created_at')} AS created_at, ${ts('r.expires_at')} AS expires_at, ${ts('r.cancelled_at')} AS cancelled_at,
         s.birth_date::text AS birth_date, s.first_name,
         (SELECT coalesce(json_agg(json_build_object('id', a.id, 'name', a.name)), '[]'::json)
            FROM agency a WHERE a.id = ANY(r.agency_ids) OR a.id = k.owner_agency_id) AS agencies,
         (SELECT coalesce(json_agg(json_build_object('id', g.id, 'custody', g.custody) ORDER BY g.created_at, g.id), '[]'::json)
            FROM guardian g WHERE g.subject_id = r.subject_id) AS guardians,
         (SELECT coalesce(json_agg(json_build_object('kind', x.answered_by_kind, 'guardianId', x.guardian_id, 'decision', x.decision,
                   'answeredAt', ${ts('x.answered_at')}, 'consentId', x.consent_id, 'reason', x.reason) ORDER BY x.answered_at, x.id), '[]'::json)
            FROM consent_request_answer x WHERE x.request_id = r.id) AS answers
    FROM consent_request r
    JOIN support_case k ON k.id = r.case_id
    JOIN subject s ON s.id = r.subject_id`;

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

const requestClosed = (detail: string): HttpProblem => conflict(detail, 'request_closed');
const alreadyAnswered = (): HttpProblem =>
  conflict(
    'You have already answered this request. Your answer stands; ask your social worker if something has changed.',
    'already_answered',
  );

/**
 * Consent requests: the owning unit's social worker prepares the exact scope of a consent; each
 * person who must consent (by `policies/consent.yaml`, as the gate counts them) accepts or
 * declines it with their e-identification. An accept becomes a consent of method `digital`
 * through the consents service, so it has the same receipt and gate as any other consent.
 */
export class ConsentRequestsService {
  constructor(private readonly app: FastifyInstance) {}

  private get rules() {
    return this.app.policy.policies.consent;
  }

  private state(r: RequestRow, at = new Date()): RequestState {
    return requestStatus(this.rules, {
      expiresAt: new Date(r.expires_at),
      cancelledAt: r.cancelled_at ? new Date(r.cancelled_at) : null,
      validTo: r.valid_to,
      subjectBirthDate: r.birth_date,
      guardians: r.guardians,
      answers: r.answers.map((a) => ({ answeredByKind: a.kind, guardianId: a.guardianId, decision: a.decision })),
      at,
    });
  }

  private async rows(em: EntityManager, where: string, params: unknown[]): Promise<RequestRow[]> {
    return sql<RequestRow>(em, `${REQUEST_SQL} WHERE ${where} ORDER BY r.created_at DESC, r.id`, params);
  }

  private toOut(r: RequestRow): RequestOut {
    const names = new Map(r.agencies.map((a) => [a.id, a.name]));
    const { status, awaiting } = this.state(r);
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

  // ---- the owning unit ------------------------------------------------------------------------

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
      return this.toOut((await this.rows(tx, 'r.id = ?', [id]))[0]!);
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
    const rows = await this.rows(em, 'r.case_id = ?', [caseId]);
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
      const row = (await this.rows(tx, 'r.id = ?', [requestId]))[0]!;
      const { status } = this.state(row);
      if (status !== 'open') throw requestClosed(`The request is already ${status}; only an open request can be cancelled.`);
      await sql(tx, 'UPDATE consent_request SET cancelled_at = clock_timestamp(), cancelled_by = ? WHERE id = ?', [actor.id, requestId]);
      await this.app.audit.record(tx, ctx, { ...event, outcome: 'allowed' });
      return this.toOut((await this.rows(tx, 'r.id = ?', [requestId]))[0]!);
    }).then((out) => {
      if (!out) throw notFound();
      return out;
    });
  }

  // ---- the person who must answer -----------------------------------------------------------

  /** The citizen's relation that must answer this request today, if any. */
  private answererOf(relations: readonly CitizenRelation[], r: RequestRow, state: RequestState): CitizenRelation | undefined {
    return relations.find(
      (rel) => rel.access === 'full' && rel.subjectId === r.subject_id && state.required.some((p) => sameParty(p, rel.as, rel.guardianId)),
    );
  }

  async listForCitizen(
    em: EntityManager,
    actor: CitizenActor,
    ctxFor: (relation: CitizenRelation | null) => AuditContext,
  ): Promise<CitizenRequestOut[]> {
    const { relations } = await this.app.citizen.scope(em, actor);
    const full = relations.filter((r) => r.access === 'full');
    const rows = full.length > 0 ? await this.rows(em, 'r.subject_id = ANY(?::uuid[])', [pgArray(full.map((r) => r.subjectId))]) : [];
    const labels = this.app.policy.policies.categories.categories;
    const items: CitizenRequestOut[] = [];
    const events = new Map<CitizenRelation, AuditEvent[]>();
    const at = new Date();
    for (const r of rows) {
      const state = this.state(r, at);
      const rel = this.answererOf(full, r, state);
      if (!rel) continue;
      const mine = r.answers.find((a) =>
        sameParty(rel.as === 'subject' ? { kind: 'subject' } : { kind: 'guardian', guardianId: rel.guardianId! }, a.kind, a.guardianId),
      );
      const names = new Map(r.agencies.map((a) => [a.id, a.name]));
      items.push({
        id: r.id,
        subjectId: r.subject_id,
        subjectFirstName: rel.firstName,
        agencies: r.agency_ids.map((id) => ({ id, name: names.get(id) ?? '' })),
        categories: r.categories.map((code) => ({ code, label: labels[code]?.description ?? code })),
        purpose: r.purpose,
        explanation: r.explanation,
        validFrom: r.valid_from,
        validTo: r.valid_to,
        expiresAt: r.expires_at,
        status: state.status,
        myAnswer: mine?.decision ?? null,
        canAnswer: state.status === 'open' && !mine && r.case_status !== 'closed',
      });
      const list = events.get(rel) ?? [];
      list.push({
        action: 'citizen.request.read',
        resourceType: 'consent_request',
        resourceId: r.id,
        caseId: r.case_id,
        subjectId: r.subject_id,
        outcome: 'allowed',
      });
      events.set(rel, list);
    }
    if (events.size === 0)
      await this.app.audit.record(em, ctxFor(null), {
        action: 'citizen.request.list',
        resourceType: 'consent_request',
        outcome: 'allowed',
      });
    for (const [rel, list] of events) await this.app.audit.record(em, ctxFor(rel), list);
    return items;
  }

  /** Accepts or declines for the citizen; anything not theirs to answer is audited and 404. */
  async answer(
    em: EntityManager,
    actor: CitizenActor,
    requestId: string,
    decision: AnswerDecision,
    reason: string | null,
    ctxFor: (relation: CitizenRelation | null) => AuditContext,
  ): Promise<{ consentId: string | null; status: RequestState['status'] }> {
    const action = decision === 'accept' ? 'citizen.request.accept' : 'citizen.request.decline';
    const resource = { action, resourceType: 'consent_request', resourceId: requestId } as const;
    try {
      this.app.citizen.requireFreshAssertion(actor);
    } catch (e) {
      await this.app.audit.record(em, ctxFor(null), { ...resource, outcome: 'denied', reason: 'reauthentication_required' });
      throw e;
    }
    const { relations } = await this.app.citizen.scope(em, actor);
    const denied = async (): Promise<never> => {
      await this.app.audit.record(em, ctxFor(null), { ...resource, outcome: 'denied', reason: 'not_found' });
      throw notFound();
    };
    const [known] = await this.rows(em, 'r.id = ?', [requestId]);
    const answerer = known ? this.answererOf(relations, known, this.state(known)) : undefined;
    if (!known || !answerer) return denied();
    try {
      return await transaction(em, async (tx) => {
        await sql(tx, 'SELECT 1 FROM consent_request WHERE id = ? FOR UPDATE', [requestId]);
        const r = (await this.rows(tx, 'r.id = ?', [requestId]))[0]!;
        const state = this.state(r);
        const rel = this.answererOf(relations, r, state);
        // Age or custody changed between the two reads: as if it were never theirs.
        if (!rel) throw notFound();
        const ctx = ctxFor(rel);
        const event = { ...resource, caseId: r.case_id, subjectId: r.subject_id };
        const party: Party = rel.as === 'subject' ? { kind: 'subject' } : { kind: 'guardian', guardianId: rel.guardianId! };
        if (r.answers.some((a) => sameParty(party, a.kind, a.guardianId))) throw alreadyAnswered();
        if (state.status !== 'open')
          throw requestClosed(
            `The request is ${state.status} and can no longer be answered. Ask your social worker for a new one if needed.`,
          );
        if (r.case_status === 'closed')
          throw requestClosed(
            'The case the request belongs to is closed, so it can no longer be answered. Ask your social worker if needed.',
          );
        const consentId = decision === 'accept' ? await this.consentFromRequest(tx, r, party, actor) : null;
        await sql(
          tx,
          `INSERT INTO consent_request_answer (id, request_id, answered_by_kind, guardian_id, decision, acr, assertion_sha256, transaction_ref, consent_id, reason)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            randomUUID(),
            requestId,
            party.kind,
            party.kind === 'guardian' ? party.guardianId : null,
            decision,
            actor.acr,
            actor.assertionSha256,
            actor.transactionRef,
            consentId,
            reason,
          ],
        );
        const events: AuditEvent[] = [{ ...event, outcome: 'allowed', ...(consentId ? { consentIds: [consentId] } : {}) }];
        if (consentId)
          events.push({
            action: 'consent.record',
            resourceType: 'consent',
            resourceId: consentId,
            caseId: r.case_id,
            subjectId: r.subject_id,
            outcome: 'allowed',
          });
        await this.app.audit.record(tx, ctx, events);
        return { consentId, status: this.state((await this.rows(tx, 'r.id = ?', [requestId]))[0]!).status };
      });
    } catch (e) {
      if (e instanceof HttpProblem && e.status === 404) return denied();
      // The same person answering twice at once: the unique index lets one through.
      const refusal = (e as { code?: string }).code === '23505' ? alreadyAnswered() : e;
      if (refusal instanceof HttpProblem && refusal.status === 409)
        await this.app.audit.record(em, ctxFor(answerer), {
          ...resource,
          caseId: known.case_id,
          subjectId: known.subject_id,
          outcome: 'denied',
          reason: refusal.code,
        });
      throw refusal;
    }
  }

  /**
   * The consent an accept gives: the request's exact scope, method `digital`, the eID assertion
   * as its evidence, recorded in the name of the social worker who prepared the request.
   */
  private async consentFromRequest(tx: EntityManager, r: RequestRow, party: Party, actor: CitizenActor): Promise<string> {
    const names = new Map(r.agencies.map((a) => [a.id, a.name]));
    const id = randomUUID();
    // The hash and transaction come first: the column holds 500 characters, and they are the proof.
    const evidenceRef = `eid:sha256:${actor.assertionSha256};txn:${actor.transactionRef};acr:${actor.acr}`.slice(0, 500);
    await this.app.consents.insertWithReceipt(tx, {
      id,
      receiptId: randomUUID(),
      caseId: r.case_id,
      subjectId: r.subject_id,
      controller: { id: r.owner_agency_id, name: names.get(r.owner_agency_id) ?? '' },
      givenBy: party,
      method: 'digital',
      evidenceRef,
      witness: null,
      recipients: r.agency_ids.map((a) => ({ id: a, name: names.get(a) ?? '' })),
      categories: r.categories,
      purpose: r.purpose,
      validFrom: r.valid_from,
      validTo: r.valid_to,
      recordedBy: r.created_by,
      recordedAt: new Date(),
    });
    return id;
  }
}
