import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { sql, transaction } from '../../../db/sql.js';
import { conflict, notFound } from '../../../lib/problem.js';
import type { AuditContext } from '../../../plugins/app/audit.js';
import type { ConsentMethodKind, GivenByKind } from '../../consents/consents.entities.js';
import { consentStatus } from '../../consents/gate.js';
import type { CitizenActor, CitizenRelation } from '../citizen.types.js';
import type { CitizenConsentOut, SignedReceiptOut, WithdrawByCitizenBody } from './citizen-consents.schemas.js';
import { sendCaseNotice } from '../case-notice.js';
import { citizenReceiptPdf } from './citizen-receipt-pdf.js';
import { eidEvidenceRef } from '../eid-evidence.js';
import { signWithdrawalReceipt } from './withdrawal-receipt.js';

/** The audit context of the request for the relation the citizen acts in (null before one is known). */
export type CitizenAuditContextOf = (relation: CitizenRelation | null) => AuditContext;

const ts = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

interface ConsentRow {
  id: string;
  case_id: string;
  subject_id: string;
  given_by_kind: GivenByKind;
  guardian_id: string | null;
  method: ConsentMethodKind;
  purpose: string;
  valid_from: string;
  valid_to: string;
  recorded_at: string;
  withdrawn_at: string | null;
  withdrawn_by_kind: GivenByKind | null;
  withdrawn_by_guardian_id: string | null;
  agencies: { id: string; name: string }[];
  categories: string[];
  receipt_id: string | null;
}

const CONSENT_SELECT = `SELECT c.id, c.case_id, c.subject_id, c.given_by_kind, c.guardian_id, c.method, c.purpose,
    c.valid_from::text AS valid_from, c.valid_to::text AS valid_to, ${ts('c.recorded_at')} AS recorded_at,
    ${ts('c.withdrawn_at')} AS withdrawn_at, c.withdrawn_by_kind, c.withdrawn_by_guardian_id,
    (SELECT coalesce(json_agg(json_build_object('id', a.id, 'name', a.name) ORDER BY array_position(c.agency_ids, a.id)), '[]'::json)
       FROM agency a WHERE a.id = ANY (c.agency_ids)) AS agencies,
    c.categories, (SELECT r.id FROM consent_receipt r WHERE r.consent_id = c.id) AS receipt_id
  FROM consent c`;

/** Whether the person in `relation` is the one who gave (or withdrew) as `kind`/`guardianId`. */
const isMe = (relation: CitizenRelation, kind: GivenByKind | null, guardianId: string | null): boolean =>
  relation.as === 'subject' ? kind === 'subject' : kind === 'guardian' && guardianId === relation.guardianId;

/** The citizen's relation to a subject, a full one first (a person may be on record twice). */
export const relationTo = (relations: readonly CitizenRelation[], subjectId: string): CitizenRelation | undefined =>
  relations.find((r) => r.subjectId === subjectId && r.access === 'full') ?? relations.find((r) => r.subjectId === subjectId);

/**
 * The person's own consents: the list in plain fields, the receipts, and withdrawal by the person
 * who gave the consent. Every consent of a subject in the citizen's scope (with full access) is
 * listed; only the giver may withdraw it — the subject their own, a guardian the one they gave —
 * and the others are shown read-only. Anything outside the scope answers 404 like a missing id,
 * audited.
 */
export class CitizenConsentsService {
  constructor(private readonly app: FastifyInstance) {}

  private label(code: string): string {
    return this.app.policy.policies.categories.categories[code]?.description ?? code;
  }

  private toOut(r: ConsentRow, relation: CitizenRelation, at: Date): CitizenConsentOut {
    const status = consentStatus(
      { validFrom: r.valid_from, validTo: r.valid_to, withdrawnAt: r.withdrawn_at ? new Date(r.withdrawn_at) : null },
      at,
    );
    const givenByMe = isMe(relation, r.given_by_kind, r.guardian_id);
    return {
      id: r.id,
      subjectId: r.subject_id,
      subjectFirstName: relation.firstName,
      agencies: r.agencies,
      categories: r.categories.map((code) => ({ code, label: this.label(code) })),
      purpose: r.purpose,
      validFrom: r.valid_from,
      validTo: r.valid_to,
      givenBy: r.given_by_kind,
      givenByMe,
      method: r.method,
      recordedAt: r.recorded_at,
      status: status === 'pending' ? 'upcoming' : status,
      withdrawnAt: r.withdrawn_at,
      withdrawnByMe: r.withdrawn_at !== null && isMe(relation, r.withdrawn_by_kind, r.withdrawn_by_guardian_id),
      canWithdraw: givenByMe && (status === 'active' || status === 'pending'),
    };
  }

  /** The consents of every subject the citizen fully sees, newest first; each subject's read audited before it is returned. */
  async list(em: EntityManager, actor: CitizenActor, ctxOf: CitizenAuditContextOf): Promise<CitizenConsentOut[]> {
    const relations = (await this.app.citizen.scope(em, actor)).relations.filter((r) => r.access === 'full');
    if (relations.length === 0) {
      await this.app.audit.record(em, ctxOf(null), {
        action: 'citizen.consent.list',
        resourceType: 'subject',
        outcome: 'allowed',
        reason: 'none_in_scope',
      });
      return [];
    }
    const bySubject = new Map(relations.map((r) => [r.subjectId, r]));
    const rows = await sql<ConsentRow>(em, `${CONSENT_SELECT} WHERE c.subject_id = ANY (?::uuid[]) ORDER BY c.recorded_at DESC, c.id`, [
      `{${[...bySubject.keys()].join(',')}}`,
    ]);
    await Promise.all(
      relations.map((r) =>
        this.app.audit.record(em, ctxOf(r), {
          action: 'citizen.consent.list',
          resourceType: 'subject',
          resourceId: r.subjectId,
          subjectId: r.subjectId,
          outcome: 'allowed',
        }),
      ),
    );
    const at = new Date();
    return rows.map((row) => this.toOut(row, bySubject.get(row.subject_id)!, at));
  }

  /**
   * A consent of a subject the citizen fully sees, with the relation the citizen sees it in; else
   * the refusal is audited and the answer is 404, exactly as for an id that does not exist.
   */
  private async consentInScope(
    em: EntityManager,
    actor: CitizenActor,
    consentId: string,
    action: string,
    ctxOf: CitizenAuditContextOf,
  ): Promise<{ row: ConsentRow; relation: CitizenRelation }> {
    const [[row], scope] = await Promise.all([
      sql<ConsentRow>(em, `${CONSENT_SELECT} WHERE c.id = ?`, [consentId]),
      this.app.citizen.scope(em, actor),
    ]);
    const relation = row ? relationTo(scope.relations, row.subject_id) : undefined;
    if (!row || !relation || relation.access !== 'full') {
      await this.app.audit.record(em, ctxOf(relation ?? null), {
        action,
        resourceType: 'consent',
        resourceId: consentId,
        caseId: row?.case_id ?? null,
        subjectId: row?.subject_id ?? null,
        outcome: 'denied',
        reason: !row ? 'not_found' : relation ? 'contact_social_worker' : 'not_in_scope',
      });
      throw notFound();
    }
    return { row, relation };
  }

  private publicKey(kid: string): string {
    const key = this.app.keys.signing;
    return key.kid === kid ? Buffer.from(key.publicKey).toString('base64') : '';
  }

  /** A stored signed receipt (consent or withdrawal) of a consent in scope, its read audited first. */
  private async storedReceipt(
    em: EntityManager,
    actor: CitizenActor,
    consentId: string,
    table: 'consent_receipt' | 'consent_withdrawal_receipt',
    ctxOf: CitizenAuditContextOf,
  ): Promise<SignedReceiptOut> {
    const action = table === 'consent_receipt' ? 'citizen.consent.receipt.read' : 'citizen.consent.withdrawal_receipt.read';
    const { row, relation } = await this.consentInScope(em, actor, consentId, action, ctxOf);
    const [stored] = await sql<{ id: string; receipt: string; signature: string; kid: string }>(
      em,
      `SELECT id, receipt, signature, kid FROM ${table} WHERE consent_id = ?`,
      [consentId],
    );
    await this.app.audit.record(em, ctxOf(relation), {
      action,
      resourceType: table,
      resourceId: stored?.id ?? consentId,
      caseId: row.case_id,
      subjectId: row.subject_id,
      outcome: stored ? 'allowed' : 'denied',
      reason: stored ? null : 'no_receipt',
    });
    if (!stored) throw notFound();
    return {
      receipt: JSON.parse(stored.receipt) as Record<string, unknown>,
      signature: stored.signature,
      kid: stored.kid,
      publicKey: this.publicKey(stored.kid),
    };
  }

  async receipt(em: EntityManager, actor: CitizenActor, consentId: string, ctxOf: CitizenAuditContextOf): Promise<SignedReceiptOut> {
    return this.storedReceipt(em, actor, consentId, 'consent_receipt', ctxOf);
  }

  /** The receipt as a PDF to read and keep; its read audited before it leaves. */
  async receiptPdf(em: EntityManager, actor: CitizenActor, consentId: string, ctxOf: CitizenAuditContextOf): Promise<Buffer> {
    const action = 'citizen.consent.receipt.print';
    const { row, relation } = await this.consentInScope(em, actor, consentId, action, ctxOf);
    const pdf = await citizenReceiptPdf(em, row);
    await this.app.audit.record(em, ctxOf(relation), {
      action,
      resourceType: 'consent_receipt',
      resourceId: row.receipt_id ?? consentId,
      caseId: row.case_id,
      subjectId: row.subject_id,
      outcome: pdf ? 'allowed' : 'denied',
      reason: pdf ? null : 'no_receipt',
    });
    if (!pdf) throw notFound();
    return pdf;
  }

  /** The receipt of a withdrawal the person made (a withdrawal recorded by staff has none: 404). */
  async withdrawalReceipt(
    em: EntityManager,
    actor: CitizenActor,
    consentId: string,
    ctxOf: CitizenAuditContextOf,
  ): Promise<SignedReceiptOut> {
    return this.storedReceipt(em, actor, consentId, 'consent_withdrawal_receipt', ctxOf);
  }

  /**
   * Withdraws a consent the citizen gave: the withdrawal, its signed receipt and its audit event
   * in one transaction. The consent gate is built from the database on every partner request
   * (no cache anywhere, on any instance), so the partner's next request already goes without it.
   * The responsible social worker is e-mailed after the commit; that never fails the withdrawal.
   */
  async withdraw(
    em: EntityManager,
    actor: CitizenActor,
    consentId: string,
    body: WithdrawByCitizenBody,
    ctxOf: CitizenAuditContextOf,
    log: FastifyBaseLogger,
  ): Promise<{ withdrawnAt: string; receipt: SignedReceiptOut }> {
    this.app.citizen.requireFreshAssertion(actor);
    const action = 'citizen.consent.withdraw';
    const { row, relation } = await this.consentInScope(em, actor, consentId, action, ctxOf);
    const ctx = ctxOf(relation);
    if (!isMe(relation, row.given_by_kind, row.guardian_id)) {
      await this.app.audit.record(em, ctx, {
        action,
        resourceType: 'consent',
        resourceId: consentId,
        caseId: row.case_id,
        subjectId: row.subject_id,
        outcome: 'denied',
        reason: 'not_giver',
      });
      throw notFound();
    }
    const alreadyWithdrawn = () => conflict('This consent is already withdrawn. Nothing is shared under it any more.', 'already_withdrawn');
    if (row.withdrawn_at) throw alreadyWithdrawn();
    if (consentStatus({ validFrom: row.valid_from, validTo: row.valid_to, withdrawnAt: null }, new Date()) === 'expired')
      throw conflict('This consent has already ended, so nothing is shared under it. There is nothing to withdraw.', 'consent_ended');
    const withdrawnBy =
      relation.as === 'guardian' ? { kind: 'guardian' as const, guardianId: relation.guardianId! } : { kind: 'subject' as const };
    const reason = body.reason?.trim() || null;
    const receiptId = randomUUID();
    const out = await transaction(em, async (tx) => {
      const [updated] = await sql<{ withdrawn_at: string }>(
        tx,
        `UPDATE consent SET withdrawn_at = clock_timestamp(), withdrawn_by_kind = ?, withdrawn_by_guardian_id = ?, withdrawal_reason = ?
         WHERE id = ? AND withdrawn_at IS NULL RETURNING ${ts('withdrawn_at')} AS withdrawn_at`,
        [withdrawnBy.kind, withdrawnBy.kind === 'guardian' ? withdrawnBy.guardianId : null, reason, consentId],
      );
      if (!updated) throw alreadyWithdrawn();
      const withdrawnAt = new Date(updated.withdrawn_at);
      const signed = signWithdrawalReceipt(this.app.keys.signing, {
        withdrawalReceiptId: receiptId,
        consentId,
        consentReceiptId: row.receipt_id,
        caseId: row.case_id,
        subjectId: row.subject_id,
        withdrawnAt,
        withdrawnBy,
        evidenceRef: eidEvidenceRef(actor),
      });
      await sql(
        tx,
        'INSERT INTO consent_withdrawal_receipt (id, consent_id, receipt, signature, kid, issued_at) VALUES (?, ?, ?, ?, ?, ?)',
        [receiptId, consentId, signed.canonical, signed.signature, signed.kid, withdrawnAt],
      );
      await this.app.audit.record(tx, ctx, {
        action,
        resourceType: 'consent',
        resourceId: consentId,
        caseId: row.case_id,
        subjectId: row.subject_id,
        outcome: 'allowed',
      });
      return {
        withdrawnAt: updated.withdrawn_at,
        receipt: { receipt: signed.receipt, signature: signed.signature, kid: signed.kid, publicKey: this.publicKey(signed.kid) },
      };
    });
    void sendCaseNotice(this.app, log, 'consent_withdrawn', row.case_id, consentId);
    return out;
  }
}
