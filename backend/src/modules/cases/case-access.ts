import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { conflict, notFound } from '../../lib/problem.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { CaseView } from '../../plugins/app/disclosure.js';
import { CONSENT_REQUIRED, type Decision } from '../../plugins/app/policy.js';
import type { Actor } from '../../types.js';
import type { GateEvaluator } from '../consents/gate.js';
import { gateFactsOf, type GateFactsRow } from '../consents/gate.sql.js';
import { sql, transaction } from '../../db/sql.js';
import type { CaseStatus, CaseType } from './cases.entities.js';
import { caseFactsSql, uuidArray } from './cases.sql.js';

/** What access decisions and writes need to know about one case. */
export interface CaseFacts {
  id: string;
  ownerAgencyId: string;
  ownerUserId: string;
  subjectId: string;
  status: CaseStatus;
  type: CaseType;
  participantAgencyIds: string[];
  /** The subject has protected identity (sekretessmarkering, skyddad folkbokföring, fingerade personuppgifter). */
  protectedSubject: boolean;
}

/** A row of caseFactsSql. */
export interface FactsRow {
  owner_agency_id: string;
  owner_user_id: string;
  subject_id: string;
  status: CaseStatus;
  type: CaseType;
  protected: boolean | null;
  participants: string[];
}

export const factsOf = (id: string, row: FactsRow): CaseFacts => ({
  id,
  ownerAgencyId: row.owner_agency_id,
  ownerUserId: row.owner_user_id,
  subjectId: row.subject_id,
  status: row.status,
  type: row.type,
  participantAgencyIds: row.participants,
  protectedSubject: row.protected === true,
});

/** The outcome of `load`: the caller may act on this case. */
export interface CaseAccess {
  facts: CaseFacts;
  decision: Decision;
  /** Consents relied on, recorded with every audit event of the request. */
  consentIds: readonly string[];
  /** The consent gate built while checking access (another agency's user), reused by the read. */
  gate?: GateEvaluator;
}

const DENIED = Symbol('denied');

/** caseFactsSql for many cases (params: `extra`'s, the caller's agency, the case ids), each row with its `id`. */
const manyTexts = new Map<string, string>();
function manyFactsSql(extra: string): string {
  let text = manyTexts.get(extra);
  if (text === undefined) {
    text = caseFactsSql(false, extra ? `f.id, ${extra}` : 'f.id', true).replace(/WHERE f\.id = \?$/, 'WHERE f.id = ANY (?::uuid[])');
    if (!text.endsWith('ANY (?::uuid[])')) throw new Error('caseFactsSql no longer ends with its case id');
    if (manyTexts.size < 32) manyTexts.set(extra, text);
  }
  return text;
}

/**
 * THE way to a case: loads its facts and asks the decision point (`app.policy.caseAccess`; for a
 * participant's gated action, again with the case's consent gate). A denial is audited and
 * answered 404, exactly like a missing case. Nothing here decides: it fetches what the decision
 * point needs and carries out its answer.
 */
export class CaseAccessService {
  constructor(private readonly app: FastifyInstance) {}

  private async authorize<X extends object = object>(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    action: string,
    ctx: AuditContext,
    lock: boolean,
    extra?: { select: string; params: readonly unknown[] },
  ): Promise<(CaseAccess & { extra: X }) | null> {
    const [row] = await sql<FactsRow & { gate_facts?: GateFactsRow | null } & X>(em, caseFactsSql(lock, extra?.select, true), [
      ...(extra?.params ?? []),
      actor.agencyId,
      caseId,
    ]);
    const resource = { action, resourceType: 'case', resourceId: caseId } as const;
    if (!row) {
      await this.app.audit.record(em, ctx, { ...resource, outcome: 'denied', reason: 'not_found' });
      return null;
    }
    const facts = factsOf(caseId, row);
    let decision: Decision = this.app.policy.caseAccess(actor, action, facts);
    let consentIds: readonly string[] = [];
    let gate: GateEvaluator | undefined;
    if (decision.reason === CONSENT_REQUIRED) {
      gate = row.gate_facts
        ? this.app.policy.consentGate({ ...gateFactsOf(row.gate_facts), at: new Date() })
        : await this.app.consents.gate(em, facts);
      ({ consentIds, ...decision } = this.app.policy.caseAccessThroughConsent(actor, action, facts, gate));
    }
    if (!decision.allow) {
      await this.app.audit.record(em, ctx, { ...resource, caseId, subjectId: facts.subjectId, outcome: 'denied', reason: decision.reason });
      return null;
    }
    return { facts, decision, consentIds, ...(gate ? { gate } : {}), extra: row as unknown as X };
  }

  /**
   * Loads a case for reading, or answers 404 (audited) when it is missing or not the caller's to
   * see. `extra` (caseFactsSql) fetches what the read shows in the same round trip.
   */
  async load<X extends object = object>(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    action: string,
    ctx: AuditContext,
    extra?: { select: string; params: readonly unknown[] },
  ): Promise<CaseAccess & { extra: X }> {
    const access = await this.authorize<X>(em, actor, caseId, action, ctx, false, extra);
    if (!access) throw notFound();
    return access;
  }

  /**
   * Many cases for reading (a calendar across the caller's cases): their facts, and for another
   * agency's the consent gate's facts, in ONE statement; each case then decided by the decision
   * point exactly as `load` decides one. The denials are audited together; the cases the caller
   * may read come back by id. `extra` as for `load`, on each case's row.
   */
  async loadMany<X extends object = object>(
    em: EntityManager,
    actor: Actor,
    caseIds: readonly string[],
    action: string,
    ctx: AuditContext,
    extra?: { select: string; params: readonly unknown[] },
  ): Promise<Map<string, CaseAccess & { extra: X }>> {
    const allowed = new Map<string, CaseAccess & { extra: X }>();
    if (caseIds.length === 0) return allowed;
    const rows = await sql<FactsRow & { id: string; gate_facts?: GateFactsRow | null } & X>(em, manyFactsSql(extra?.select ?? ''), [
      ...(extra?.params ?? []),
      actor.agencyId,
      uuidArray(caseIds),
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const at = new Date();
    const denials: AuditEvent[] = [];
    for (const caseId of caseIds) {
      const resource = { action, resourceType: 'case', resourceId: caseId } as const;
      const row = byId.get(caseId);
      if (!row) {
        denials.push({ ...resource, outcome: 'denied', reason: 'not_found' });
        continue;
      }
      const facts = factsOf(caseId, row);
      let decision: Decision = this.app.policy.caseAccess(actor, action, facts);
      let consentIds: readonly string[] = [];
      let gate: GateEvaluator | undefined;
      if (decision.reason === CONSENT_REQUIRED) {
        gate = this.app.policy.consentGate({ ...gateFactsOf(row.gate_facts), at });
        ({ consentIds, ...decision } = this.app.policy.caseAccessThroughConsent(actor, action, facts, gate));
      }
      if (!decision.allow) {
        denials.push({ ...resource, caseId, subjectId: facts.subjectId, outcome: 'denied', reason: decision.reason });
        continue;
      }
      allowed.set(caseId, { facts, decision, consentIds, ...(gate ? { gate } : {}), extra: row as unknown as X });
    }
    await this.app.audit.record(em, ctx, denials);
    return allowed;
  }

  /**
   * One write on one case: a transaction that locks the case row, checks access (a denial is
   * audited and committed on its own, then answered 404), refuses closed cases unless told
   * otherwise, runs `fn` and commits it with its audit events.
   */
  async write<T>(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    action: string,
    ctx: AuditContext,
    fn: (tx: EntityManager, access: CaseAccess) => Promise<T>,
    opts: { allowClosed?: boolean } = {},
  ): Promise<T> {
    const result = await transaction(em, async (tx) => {
      const access = await this.authorize(tx, actor, caseId, action, ctx, true);
      if (!access) return DENIED;
      if (access.facts.status === 'closed' && !opts.allowClosed)
        throw conflict('The case is closed. Reopen it before changing it.', 'case_closed');
      return { value: await fn(tx, access) };
    });
    if (result === DENIED) throw notFound();
    return result.value;
  }

  /**
   * The decisions of one read of the case (policy decision point): the owning unit sees its case
   * whole and needs no gate; anyone else reads through the gate built while checking access.
   */
  async view(em: EntityManager, actor: Actor, access: CaseAccess): Promise<CaseView> {
    const { facts } = access;
    const owner = access.decision.reason === 'owner';
    const gate =
      access.gate ??
      (owner
        ? this.app.policy.consentGate({ subjectBirthDate: null, guardians: [], consents: [], at: new Date() })
        : await this.app.consents.gate(em, facts));
    return this.app.policy.view(gate, {
      caseId: facts.id,
      subjectId: facts.subjectId,
      ownerAgencyId: facts.ownerAgencyId,
      agencyId: actor.agencyId,
      owner,
      protectedSubject: facts.protectedSubject,
    });
  }

  /** An audit event about the case, with the consents the access relied on. */
  event(access: CaseAccess, action: string, resourceType: string, resourceId: string): AuditEvent {
    return {
      action,
      resourceType,
      resourceId,
      caseId: access.facts.id,
      subjectId: access.facts.subjectId,
      outcome: 'allowed',
      consentIds: access.consentIds,
    };
  }
}
