import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { badRequest, conflict, notFound } from '../../lib/problem.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { sql } from '../../db/sql.js';
import type { CaseView, ExchangedItem } from '../../plugins/app/disclosure.js';
import type { CaseFacts } from '../cases/case-access.js';
import { addDays, addMonths, stockholmDate } from './calendar.js';
import type { ConsentMethodKind, GivenByKind } from './consents.entities.js';
import type { ConsentMatrixOut, ConsentOut, DisclosureOut, DisclosureQuery, RecordConsentBody } from './consents.schemas.js';
import { consentStatus, type GateEvaluator, type GateFacts, type GivenBy } from './gate.js';
import { GATE_FACTS_JSON, gateFactsOf, type GateFactsRow } from './gate.sql.js';
import { checkLedgerQuery, ledgerGroups, ledgerRows, type LedgerPage, type LedgerScope } from './ledger.js';
import { buildReceipt, canonicalJson, signReceipt, verifyReceipt, type ConsentReceipt, type ReceiptSource } from './receipt.js';

type DisclosureOutT = Static<typeof DisclosureOut>;

/** A consent to insert with its receipt: what the receipt says, and who recorded it. */
export interface NewConsent extends Omit<ReceiptSource, 'consentId'> {
  id: string;
  recordedBy: string;
}
type MatrixT = Static<typeof ConsentMatrixOut>;

/** A PostgreSQL array literal of validated ids or codes (knex would expand a JS array into a list). */
const pgArray = (values: readonly string[]): string => `{${values.map((v) => `"${v}"`).join(',')}}`;

const ts = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const CONSENT_COLUMNS = `c.id, c.case_id, c.subject_id, c.given_by_kind, c.guardian_id, c.method, c.evidence_ref, c.witness,
  c.agency_ids::text[] AS agency_ids, c.categories, c.purpose, c.valid_from::text AS valid_from, c.valid_to::text AS valid_to,
  c.recorded_by, ${ts('c.recorded_at')} AS recorded_at, ${ts('c.withdrawn_at')} AS withdrawn_at, c.withdrawn_by, c.withdrawal_reason,
  c.withdrawn_by_kind, c.withdrawn_by_guardian_id,
  (SELECT r.id FROM consent_receipt r WHERE r.consent_id = c.id) AS receipt_id`;

interface ConsentRow {
  id: string;
  case_id: string;
  subject_id: string;
  given_by_kind: GivenByKind;
  guardian_id: string | null;
  method: ConsentMethodKind;
  evidence_ref: string | null;
  witness: string | null;
  agency_ids: string[];
  categories: string[];
  purpose: string;
  valid_from: string;
  valid_to: string;
  recorded_by: string;
  recorded_at: string;
  withdrawn_at: string | null;
  withdrawn_by: string | null;
  withdrawal_reason: string | null;
  withdrawn_by_kind: 'subject' | 'guardian' | null;
  withdrawn_by_guardian_id: string | null;
  receipt_id: string | null;
}

const givenByOf = (kind: GivenByKind, guardianId: string | null): GivenBy =>
  kind === 'guardian' ? { kind: 'guardian', guardianId: guardianId! } : { kind: 'subject' };

function toOut(r: ConsentRow, at: Date): ConsentOut {
  return {
    id: r.id,
    caseId: r.case_id,
    subjectId: r.subject_id,
    status: consentStatus(
      { validFrom: r.valid_from, validTo: r.valid_to, withdrawnAt: r.withdrawn_at ? new Date(r.withdrawn_at) : null },
      at,
    ),
    givenBy: givenByOf(r.given_by_kind, r.guardian_id),
    method: r.method,
    evidenceRef: r.evidence_ref,
    witness: r.witness,
    agencyIds: r.agency_ids,
    categories: r.categories,
    purpose: r.purpose,
    validFrom: r.valid_from,
    validTo: r.valid_to,
    recordedBy: r.recorded_by,
    recordedAt: r.recorded_at,
    withdrawnAt: r.withdrawn_at,
    withdrawnBy: r.withdrawn_by,
    withdrawalReason: r.withdrawal_reason,
    // A withdrawal by the person themselves has no staff user (withdrawn_by is null).
    withdrawnByKind: r.withdrawn_at === null ? null : (r.withdrawn_by_kind ?? 'staff'),
    withdrawnByGuardianId: r.withdrawn_by_guardian_id,
    receiptId: r.receipt_id,
  };
}

/**
 * Consents: recording, withdrawal, receipts, and the two things every read of a case across
 * agencies needs — the gate (built fresh from the database on every request, so no withdrawal is
 * ever outlived by a cache) and the disclosure ledger.
 */
export class ConsentsService {
  constructor(private readonly app: FastifyInstance) {}

  private get rules(): { maxValidityMonths: number; reminderLeadDays: number } {
    return this.app.policy.policies.consent;
  }

  // ---- the gate ----------------------------------------------------------------------------

  /** The facts the gate needs about a case, in one round trip. */
  async gateFacts(em: EntityManager, caseId: string, subjectId: string): Promise<Omit<GateFacts, 'at'>> {
    const [row] = await sql<{ f: GateFactsRow | null }>(em, `SELECT ${GATE_FACTS_JSON('?::uuid', '?::uuid')} AS f`, [caseId, subjectId]);
    return gateFactsOf(row?.f);
  }

  /**
   * The consent gates of many cases at one instant, from one round trip (guardians and consents
   * of every case): for lists, where a gate per case would be a query per case.
   */
  async gatesFor(
    em: EntityManager,
    cases: readonly Pick<CaseFacts, 'id' | 'subjectId'>[],
    at = new Date(),
  ): Promise<Map<string, GateEvaluator>> {
    const gates = new Map<string, GateEvaluator>();
    if (cases.length === 0) return gates;
    const rows = await sql<{ case_id: string; f: GateFactsRow | null }>(
      em,
      `SELECT k.case_id, ${GATE_FACTS_JSON('k.case_id', 'k.subject_id')} AS f FROM unnest(?::uuid[], ?::uuid[]) AS k(case_id, subject_id)`,
      [pgArray(cases.map((c) => c.id)), pgArray(cases.map((c) => c.subjectId))],
    );
    for (const row of rows) gates.set(row.case_id, this.app.policy.consentGate({ ...gateFactsOf(row.f), at }));
    return gates;
  }

  /** The consent gate for one case now, from what the database says now. */
  async gate(em: EntityManager, c: Pick<CaseFacts, 'id' | 'subjectId'>, at = new Date()): Promise<GateEvaluator> {
    return this.app.policy.consentGate({ ...(await this.gateFacts(em, c.id, c.subjectId)), at });
  }

  /**
   * Records the read's audit event (with the consents relied on) and, in the same transaction,
   * each item that crossed into the disclosure ledger — before the caller sends any data.
   */
  async recordRead(
    em: EntityManager,
    actor: Actor,
    ctx: AuditContext,
    c: Pick<CaseFacts, 'id' | 'subjectId'>,
    event: AuditEvent,
    x: CaseView,
  ): Promise<void> {
    const consentIds = [...new Set([...(event.consentIds ?? []), ...x.consentIds])];
    const items = x.disclosures;
    // Nothing crossed: the audit event alone (one statement, committed before `record` resolves).
    if (items.length === 0) return this.app.audit.record(em, ctx, { ...event, consentIds });
    await this.insertDisclosures(
      em,
      { agencyId: actor.agencyId, userId: actor.id },
      ctx,
      x.gate.at,
      items.map((i) => ({ ...i, caseId: c.id, subjectId: c.subjectId })),
      [{ ...event, consentIds }],
    );
  }

  /**
   * A partner's write into a case is a disclosure to the owning unit (to the case's responsible
   * social worker), made at write time under the consents in force: recorded in the ledger with
   * the write's audit event, in the write's transaction. The owner keeps it after a withdrawal.
   */
  async recordWriteDisclosure(
    tx: EntityManager,
    ctx: AuditContext,
    c: Pick<CaseFacts, 'id' | 'subjectId' | 'ownerAgencyId' | 'ownerUserId'>,
    item: ExchangedItem,
    event: AuditEvent,
  ): Promise<void> {
    await this.insertDisclosures(
      tx,
      { agencyId: c.ownerAgencyId, userId: c.ownerUserId },
      ctx,
      new Date(),
      [{ ...item, caseId: c.id, subjectId: c.subjectId }],
      [event],
    );
  }

  /**
   * Records a read that disclosed items of several cases (a partner's case list): the audit
   * events and the ledger rows in one transaction, before the caller sends any data.
   */
  async recordListRead(
    em: EntityManager,
    actor: Actor,
    ctx: AuditContext,
    events: readonly AuditEvent[],
    at: Date,
    items: readonly (ExchangedItem & Pick<DisclosureOutT, 'caseId' | 'subjectId'>)[],
  ): Promise<void> {
    if (items.length === 0) return this.app.audit.record(em, ctx, events);
    await this.insertDisclosures(em, { agencyId: actor.agencyId, userId: actor.id }, ctx, at, items, events);
  }

  /**
   * The ledger rows and the read's audit events in ONE statement (the audit INSERT as a CTE):
   * atomic without an explicit transaction, and one round trip.
   */
  private async insertDisclosures(
    em: EntityManager,
    to: { agencyId: string; userId: string },
    ctx: AuditContext,
    at: Date,
    items: readonly (ExchangedItem & Pick<DisclosureOutT, 'caseId' | 'subjectId'>)[],
    events: readonly AuditEvent[],
  ): Promise<void> {
    const audit = this.app.audit.insertStatement(ctx, events);
    await sql(
      em,
      `WITH audit AS (${audit.text})
       INSERT INTO disclosure (id, case_id, subject_id, item_type, item_id, category, from_agency_id, to_agency_id, to_user_id, consent_ids, disclosed_at, request_id)
       SELECT u.id, u.case_id, u.subject_id, u.item_type, u.item_id, u.category, u.from_agency_id, ?, ?, u.consent_ids::uuid[], ?, ?
       FROM unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::uuid[], ?::text[], ?::uuid[], ?::text[]) AS u(id, case_id, subject_id, item_type, item_id, category, from_agency_id, consent_ids)`,
      [
        ...audit.params,
        to.agencyId,
        to.userId,
        at,
        ctx.requestId,
        pgArray(items.map(() => randomUUID())),
        pgArray(items.map((i) => i.caseId)),
        pgArray(items.map((i) => i.subjectId)),
        pgArray(items.map((i) => i.itemType)),
        pgArray(items.map((i) => i.itemId)),
        pgArray(items.map((i) => i.category)),
        pgArray(items.map((i) => i.fromAgencyId)),
        pgArray(items.map((i) => `{${i.consentIds.join(',')}}`)),
      ],
    );
  }

  // ---- consents on a case -------------------------------------------------------------------

  /** The owning unit's access to a case for a consent action; anything else is audited and 404. */
  async ownedCase(em: EntityManager, actor: Actor, caseId: string, action: string, ctx: AuditContext): Promise<CaseFacts> {
    const access = await this.app.caseAccess.load(em, actor, caseId, action, ctx);
    if (access.decision.reason !== 'owner') {
      await this.app.audit.record(em, ctx, {
        action,
        resourceType: 'case',
        resourceId: caseId,
        caseId,
        subjectId: access.facts.subjectId,
        outcome: 'denied',
        reason: 'not_owner',
      });
      throw notFound();
    }
    return access.facts;
  }

  async record(em: EntityManager, actor: Actor, caseId: string, body: RecordConsentBody, ctx: AuditContext): Promise<ConsentOut> {
    const facts = await this.ownedCase(em, actor, caseId, 'consent.record', ctx);
    if (facts.status === 'closed') throw conflict('The case is closed. Reopen it before recording a consent.', 'case_closed');
    this.validate(body);
    const recordedAt = new Date();
    const id = randomUUID();
    const receiptId = randomUUID();
    const guardianId = body.givenBy.kind === 'guardian' ? body.givenBy.guardianId : null;
    return em.transactional(async (tx) => {
      const [check] = await sql<{ status: string; guardian_ok: boolean; agencies: { id: string; name: string }[] }>(
        tx,
        `SELECT c.status,
                (?::uuid IS NULL OR EXISTS (SELECT 1 FROM guardian g WHERE g.id = ?::uuid AND g.subject_id = c.subject_id)) AS guardian_ok,
                (SELECT coalesce(json_agg(json_build_object('id', a.id, 'name', a.name)), '[]'::json) FROM agency a WHERE a.id = ANY(?::uuid[]) OR a.id = c.owner_agency_id) AS agencies
         FROM support_case c WHERE c.id = ? FOR SHARE OF c`,
        [guardianId, guardianId, pgArray(body.agencyIds), caseId],
      );
      if (!check) throw notFound();
      if (check.status === 'closed') throw conflict('The case is closed. Reopen it before recording a consent.', 'case_closed');
      if (!check.guardian_ok) throw badRequest("The guardian is not one of the subject's guardians on record.", 'unknown_guardian');
      const names = new Map(check.agencies.map((a) => [a.id, a.name]));
      if (body.agencyIds.some((a) => !names.has(a))) throw badRequest('An agency does not exist; check the agency ids.', 'unknown_agency');
      await this.insertWithReceipt(tx, {
        id,
        receiptId,
        caseId,
        subjectId: facts.subjectId,
        controller: { id: facts.ownerAgencyId, name: names.get(facts.ownerAgencyId) ?? '' },
        givenBy: body.givenBy,
        method: body.method,
        evidenceRef: body.evidenceRef?.trim() ?? null,
        witness: body.witness?.trim() ?? null,
        recipients: body.agencyIds.map((a) => ({ id: a, name: names.get(a)! })),
        categories: body.categories,
        purpose: body.purpose.trim(),
        validFrom: body.validFrom,
        validTo: body.validTo,
        recordedBy: actor.id,
        recordedAt,
      });
      await this.app.audit.record(tx, ctx, {
        action: 'consent.record',
        resourceType: 'consent',
        resourceId: id,
        caseId,
        subjectId: facts.subjectId,
        outcome: 'allowed',
      });
      return (await this.listRows(tx, 'c.id = ?', [id]))[0]!;
    });
  }

  /**
   * Inserts a consent and its signed receipt in `tx`: the one way a consent comes to exist,
   * whether staff record it or the person accepts a request (the caller audits and checks).
   */
  async insertWithReceipt(tx: EntityManager, c: NewConsent): Promise<void> {
    await sql(
      tx,
      `INSERT INTO consent (id, case_id, subject_id, given_by_kind, guardian_id, method, evidence_ref, witness, agency_ids, categories, purpose,
                            valid_from, valid_to, recorded_by, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::uuid[], ?::text[], ?, ?::date, ?::date, ?, ?)`,
      [
        c.id,
        c.caseId,
        c.subjectId,
        c.givenBy.kind,
        c.givenBy.kind === 'guardian' ? c.givenBy.guardianId : null,
        c.method,
        c.evidenceRef,
        c.witness,
        pgArray(c.recipients.map((r) => r.id)),
        pgArray(c.categories),
        c.purpose,
        c.validFrom,
        c.validTo,
        c.recordedBy,
        c.recordedAt,
      ],
    );
    const receipt = buildReceipt({ ...c, consentId: c.id });
    const signed = signReceipt(this.app.keys.signing, receipt);
    await sql(tx, 'INSERT INTO consent_receipt (id, consent_id, receipt, signature, kid, issued_at) VALUES (?, ?, ?, ?, ?, ?)', [
      c.receiptId,
      c.id,
      canonicalJson(receipt),
      signed.signature,
      signed.kid,
      c.recordedAt,
    ]);
  }

  /** What the schema cannot check: the period, the method's proof, the categories in force. */
  private validate(body: RecordConsentBody): void {
    this.validateScope(body);
    if (body.method === 'oral' && !body.witness) throw badRequest('An oral consent needs the name of a witness.', 'witness_required');
    if (body.method !== 'oral' && !body.evidenceRef)
      throw badRequest(
        `A ${body.method} consent needs evidenceRef: a reference to the ${body.method === 'written' ? 'scanned document' : 'signature'}.`,
        'evidence_required',
      );
  }

  /** The scope's rules (period, categories in force, identity), for a consent and for a form to sign one. */
  validateScope(body: Pick<RecordConsentBody, 'categories' | 'validFrom' | 'validTo'>): void {
    if (body.validTo < body.validFrom)
      throw badRequest('validTo is before validFrom; a consent must end on or after the day it starts.', 'invalid_period');
    const latest = addMonths(body.validFrom, this.rules.maxValidityMonths);
    if (body.validTo > latest)
      throw badRequest(
        `A consent may run at most ${this.rules.maxValidityMonths} months: end it on ${latest} at the latest and record a new consent after that.`,
        'period_too_long',
      );
    const known = this.app.policy.policies.categories.categories;
    if (body.categories.some((c) => !Object.hasOwn(known, c)))
      throw badRequest(`Unknown category: choose among ${Object.keys(known).join(', ')}.`, 'unknown_category');
    // Every exchange is about an identified person: without identity no partner can open the case.
    if (!body.categories.includes('identity'))
      throw badRequest(
        'A consent must include identity: every exchange is about an identified person, and without it no partner can open the case.',
        'identity_required',
        '/categories',
      );
  }

  private async listRows(em: EntityManager, where: string, params: unknown[], order = 'c.recorded_at, c.id'): Promise<ConsentOut[]> {
    const rows = await sql<ConsentRow>(em, `SELECT ${CONSENT_COLUMNS} FROM consent c WHERE ${where} ORDER BY ${order}`, params);
    const at = new Date();
    return rows.map((r) => toOut(r, at));
  }

  async listForCase(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<ConsentOut[]> {
    const facts = await this.ownedCase(em, actor, caseId, 'consent.read', ctx);
    const list = await this.listRows(em, 'c.case_id = ?', [caseId]);
    await this.app.audit.record(em, ctx, {
      action: 'consent.list',
      resourceType: 'consent',
      caseId,
      subjectId: facts.subjectId,
      outcome: 'allowed',
    });
    return list;
  }

  /** A consent by id, for the owning unit of its case only (else audited, 404). */
  private async ownedConsent(
    em: EntityManager,
    actor: Actor,
    consentId: string,
    action: string,
    ctx: AuditContext,
  ): Promise<{ caseId: string; subjectId: string }> {
    const [row] = await sql<{ case_id: string; subject_id: string }>(em, 'SELECT case_id, subject_id FROM consent WHERE id = ?', [
      consentId,
    ]);
    if (!row) {
      await this.app.audit.record(em, ctx, {
        action,
        resourceType: 'consent',
        resourceId: consentId,
        outcome: 'denied',
        reason: 'not_found',
      });
      throw notFound();
    }
    await this.ownedCase(em, actor, row.case_id, action, ctx);
    return { caseId: row.case_id, subjectId: row.subject_id };
  }

  async withdraw(em: EntityManager, actor: Actor, consentId: string, reason: string, ctx: AuditContext): Promise<ConsentOut> {
    const owned = await this.ownedConsent(em, actor, consentId, 'consent.withdraw', ctx);
    return em.transactional(async (tx) => {
      const updated = await sql<{ id: string }>(
        tx,
        'UPDATE consent SET withdrawn_at = clock_timestamp(), withdrawn_by = ?, withdrawal_reason = ? WHERE id = ? AND withdrawn_at IS NULL RETURNING id',
        [actor.id, reason.trim(), consentId],
      );
      if (updated.length === 0)
        throw conflict('The consent is already withdrawn. To share again, record a new consent.', 'already_withdrawn');
      await this.app.audit.record(tx, ctx, {
        action: 'consent.withdraw',
        resourceType: 'consent',
        resourceId: consentId,
        ...owned,
        outcome: 'allowed',
      });
      return (await this.listRows(tx, 'c.id = ?', [consentId]))[0]!;
    });
  }

  // ---- receipts ----------------------------------------------------------------------------

  async receipt(
    em: EntityManager,
    actor: Actor,
    consentId: string,
    ctx: AuditContext,
  ): Promise<{ receipt: ConsentReceipt; signature: string; kid: string; publicKey: string }> {
    const owned = await this.ownedConsent(em, actor, consentId, 'consent.read', ctx);
    const [row] = await sql<{ id: string; receipt: string; signature: string; kid: string }>(
      em,
      'SELECT id, receipt, signature, kid FROM consent_receipt WHERE consent_id = ?',
      [consentId],
    );
    if (!row) throw notFound();
    const key = this.verificationKeys().find((k) => k.kid === row.kid);
    await this.app.audit.record(em, ctx, {
      action: 'consent.receipt.read',
      resourceType: 'consent_receipt',
      resourceId: row.id,
      ...owned,
      outcome: 'allowed',
    });
    return {
      receipt: JSON.parse(row.receipt) as ConsentReceipt,
      signature: row.signature,
      kid: row.kid,
      publicKey: key ? Buffer.from(key.publicKey).toString('base64') : '',
    };
  }

  /** Keys receipts may be signed with: today the service key (add retired keys here on rotation). */
  private verificationKeys(): { kid: string; publicKey: Uint8Array }[] {
    return [{ kid: this.app.keys.signing.kid, publicKey: this.app.keys.signing.publicKey }];
  }

  async verify(
    em: EntityManager,
    body: { receipt: unknown; signature: string; kid: string },
    ctx: AuditContext,
  ): Promise<{ valid: boolean }> {
    const valid = verifyReceipt(this.verificationKeys(), body.receipt, body.signature, body.kid);
    await this.app.audit.record(em, ctx, {
      action: 'consent.receipt.verify',
      resourceType: 'consent_receipt',
      outcome: 'allowed',
      reason: valid ? 'valid' : 'invalid',
    });
    return { valid };
  }

  // ---- dashboard, ledger, matrix -------------------------------------------------------------

  /** The caller's agency's active consents that end within `reminderLeadDays`. */
  async expiring(em: EntityManager, actor: Actor, ctx: AuditContext): Promise<(ConsentOut & { daysLeft: number })[]> {
    const today = stockholmDate(new Date());
    const until = addDays(today, this.rules.reminderLeadDays);
    const list = await this.listRows(
      em,
      `c.withdrawn_at IS NULL AND c.valid_from <= ?::date AND c.valid_to BETWEEN ?::date AND ?::date
       AND EXISTS (SELECT 1 FROM support_case sc WHERE sc.id = c.case_id AND sc.owner_agency_id = ?)`,
      [today, today, until, actor.agencyId],
      'c.valid_to, c.id',
    );
    const events: AuditEvent[] =
      list.length > 0
        ? list.map((c) => ({
            action: 'consent.expiring',
            resourceType: 'consent',
            resourceId: c.id,
            caseId: c.caseId,
            subjectId: c.subjectId,
            outcome: 'allowed' as const,
          }))
        : [{ action: 'consent.expiring', resourceType: 'consent', outcome: 'allowed' }];
    await this.app.audit.record(em, ctx, events);
    const dayMs = 86_400_000;
    return list.map((c) => ({ ...c, daysLeft: Math.round((Date.parse(c.validTo) - Date.parse(today)) / dayMs) }));
  }

  /** Rows or groups of the ledger, after the filter is checked (a bad filter is a 400 before any data is read). */
  private async ledger(em: EntityManager, scope: LedgerScope, query: DisclosureQuery): Promise<LedgerPage> {
    return query.group ? ledgerGroups(em, scope, query) : ledgerRows(em, scope, query);
  }

  private checkLedger(query: DisclosureQuery): void {
    checkLedgerQuery(query, Object.keys(this.app.policy.policies.categories.categories));
  }

  async disclosuresForCase(em: EntityManager, actor: Actor, caseId: string, page: DisclosureQuery, ctx: AuditContext): Promise<LedgerPage> {
    this.checkLedger(page);
    const facts = await this.ownedCase(em, actor, caseId, 'disclosure.read', ctx);
    const result = await this.ledger(em, { caseId }, page);
    await this.app.audit.record(em, ctx, {
      action: 'disclosure.read',
      resourceType: 'case',
      resourceId: caseId,
      caseId,
      subjectId: facts.subjectId,
      outcome: 'allowed',
    });
    return result;
  }

  /** Every disclosure about a subject owned by the caller's agency (across its cases). */
  async disclosuresForSubject(
    em: EntityManager,
    actor: Actor,
    subjectId: string,
    page: DisclosureQuery,
    ctx: AuditContext,
  ): Promise<LedgerPage> {
    this.checkLedger(page);
    const [row] = await sql<{ owner_agency_id: string }>(em, 'SELECT owner_agency_id FROM subject WHERE id = ?', [subjectId]);
    const decision = row
      ? this.app.policy.caseAccess(actor, 'disclosure.read', { ownerAgencyId: row.owner_agency_id })
      : { allow: false, reason: 'not_found' };
    if (!decision.allow) {
      await this.app.audit.record(em, ctx, {
        action: 'disclosure.read',
        resourceType: 'subject',
        resourceId: subjectId,
        subjectId: row ? subjectId : null,
        outcome: 'denied',
        reason: decision.reason,
      });
      throw notFound();
    }
    const result = await this.ledger(em, { subjectId }, page);
    await this.app.audit.record(em, ctx, {
      action: 'disclosure.read',
      resourceType: 'subject',
      resourceId: subjectId,
      subjectId,
      outcome: 'allowed',
    });
    return result;
  }

  /**
   * For each pair of the case's agencies and each category: open now, or closed and why. Decided
   * by the same decision point as real reads (`app.policy.reach`): open means each agency of the
   * pair can read the other's information of the category now.
   */
  async matrix(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<MatrixT> {
    const facts = await this.ownedCase(em, actor, caseId, 'consent.read', ctx);
    const at = new Date();
    const [gate, agencies] = await Promise.all([
      this.gate(em, facts, at),
      sql<{ id: string; name: string }>(em, 'SELECT id, name FROM agency WHERE id = ANY(?::uuid[])', [
        pgArray([facts.ownerAgencyId, ...facts.participantAgencyIds]),
      ]),
    ]);
    const names = new Map(agencies.map((a) => [a.id, a.name]));
    const ids = [facts.ownerAgencyId, ...facts.participantAgencyIds.filter((a) => a !== facts.ownerAgencyId)];
    const categories = Object.keys(this.app.policy.policies.categories.categories);
    const cells: MatrixT['cells'] = [];
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        for (const category of categories) {
          const ab = this.app.policy.reach(
            gate,
            { caseId: facts.id, subjectId: facts.subjectId, ownerAgencyId: facts.ownerAgencyId, protectedSubject: facts.protectedSubject },
            { authorAgencyId: ids[i]!, readerAgencyId: ids[j]!, category },
          );
          const ba = this.app.policy.reach(
            gate,
            { caseId: facts.id, subjectId: facts.subjectId, ownerAgencyId: facts.ownerAgencyId, protectedSubject: facts.protectedSubject },
            { authorAgencyId: ids[j]!, readerAgencyId: ids[i]!, category },
          );
          const closed = !ab.allow ? ab : !ba.allow ? ba : null;
          // The parties still missing for this pair and category, as the gate sees them.
          const d = gate.decide({ fromAgencyId: ids[i]!, toAgencyId: ids[j]!, category });
          cells.push({
            agencyIds: [ids[i]!, ids[j]!],
            category,
            open: closed === null,
            reason: closed ? closed.reason : ab.reason,
            consentIds: closed ? [] : [...new Set([...ab.consentIds, ...ba.consentIds])],
            missing: d.missing.map((m) => ({ party: m.party, reason: m.reason })),
          });
        }
      }
    }
    await this.app.audit.record(em, ctx, {
      action: 'consent.matrix',
      resourceType: 'case',
      resourceId: caseId,
      caseId,
      subjectId: facts.subjectId,
      outcome: 'allowed',
    });
    return {
      at: at.toISOString(),
      subjectAge: gate.age,
      requiredParties: [...gate.requiredParties],
      agencies: ids.map((id) => ({
        id,
        name: names.get(id) ?? '',
        role: id === facts.ownerAgencyId ? ('owner' as const) : ('participant' as const),
      })),
      categories,
      cells,
    };
  }
}
