import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sendCaseNotice } from '../citizen/case-notice.js';
import { eidEvidenceRef } from '../citizen/eid-evidence.js';
import { sql, transaction } from '../../db/sql.js';
import { conflict, HttpProblem, notFound } from '../../lib/problem.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { CitizenActor, CitizenRelation } from '../citizen/citizen.types.js';
import type { Party } from '../consents/gate.js';
import type { CitizenRequestOut } from './consent-requests.schemas.js';
import { pgArray, requestRows, stateOf, type RequestRow } from './request-rows.js';
import { sameParty, type AnswerDecision, type RequestState } from './request-status.js';

/** The party a citizen's relation answers as (a guardian relation always names its guardian row). */
const partyOf = (rel: CitizenRelation): Party =>
  rel.as === 'subject' ? { kind: 'subject' } : { kind: 'guardian', guardianId: rel.guardianId! };

const requestClosed = (detail: string): HttpProblem => conflict(detail, 'request_closed');
const alreadyAnswered = (): HttpProblem =>
  conflict(
    'You have already answered this request. Your answer stands; ask your social worker if something has changed.',
    'already_answered',
  );

/**
 * Consent requests, the person's side: the requests they must answer (as the subject from the
 * age consent.yaml says, or as a guardian with custody), and their accept or decline. An accept
 * becomes a consent of method `digital` through the consents service, so it has the same receipt
 * and gate as any other consent.
 */
export class CitizenRequestsService {
  constructor(private readonly app: FastifyInstance) {}

  private get rules() {
    return this.app.policy.policies.consent;
  }

  private state(r: RequestRow, at = new Date()): RequestState {
    return stateOf(this.rules, r, at);
  }

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
    const rows = full.length > 0 ? await requestRows(em, 'r.subject_id = ANY(?::uuid[])', [pgArray(full.map((r) => r.subjectId))]) : [];
    const labels = this.app.policy.policies.categories.categories;
    const items: CitizenRequestOut[] = [];
    const events = new Map<CitizenRelation, AuditEvent[]>();
    const at = new Date();
    for (const r of rows) {
      const state = this.state(r, at);
      const rel = this.answererOf(full, r, state);
      if (!rel) continue;
      const mine = r.answers.find((a) => sameParty(partyOf(rel), a.kind, a.guardianId));
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
    const [known] = await requestRows(em, 'r.id = ?', [requestId]);
    const answerer = known ? this.answererOf(relations, known, this.state(known)) : undefined;
    if (!known || !answerer) return denied();
    try {
      const answered = await transaction(em, async (tx) => {
        await sql(tx, 'SELECT 1 FROM consent_request WHERE id = ? FOR UPDATE', [requestId]);
        const r = (await requestRows(tx, 'r.id = ?', [requestId]))[0]!;
        const state = this.state(r);
        const rel = this.answererOf(relations, r, state);
        // Age or custody changed between the two reads: as if it were never theirs.
        if (!rel) throw notFound();
        const ctx = ctxFor(rel);
        const event = { ...resource, caseId: r.case_id, subjectId: r.subject_id };
        const party = partyOf(rel);
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
        return { consentId, status: this.state((await requestRows(tx, 'r.id = ?', [requestId]))[0]!).status };
      });
      // After the commit, so the social worker is never told of an answer that did not stand.
      void sendCaseNotice(
        this.app,
        this.app.log,
        decision === 'accept' ? 'request_accepted' : 'request_declined',
        known.case_id,
        requestId,
      );
      return answered;
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
    const evidenceRef = eidEvidenceRef(actor);
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
