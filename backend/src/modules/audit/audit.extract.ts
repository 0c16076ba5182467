/**
 * The secrecy review of a protected person's log extract. For a person with protected identity
 * (sekretessmarkering, skyddad folkbokföring …) the extract is marked as such, and it holds back
 * who accessed the person's data — agencies and their users, by id and by name — until an
 * auditor has recorded a secrecy review that releases them (OSL: naming the agencies can reveal
 * where the person lives, studies or gets help). The latest review decides; reviews are kept,
 * never edited.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { conflict, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import type { ArrayQuery } from './audit.sql.js';

export const SECRECY_DECISIONS = ['release', 'withhold'] as const;
export type SecrecyDecision = (typeof SECRECY_DECISIONS)[number];
/** Why: no harm in naming the agencies; a risk of harm; the agencies would reveal whereabouts; other secrecy. */
export const SECRECY_REASON_CODES = ['no_harm', 'harm_risk', 'protected_whereabouts', 'other_secrecy'] as const;
export type SecrecyReasonCode = (typeof SECRECY_REASON_CODES)[number];

export interface SecrecyReview {
  id: string;
  subjectId: string;
  decision: SecrecyDecision;
  reasonCode: SecrecyReasonCode;
  reviewedBy: string;
  reviewedAt: string;
}

/** What the extract says about secrecy. */
export interface ExtractSecrecy {
  protectedIdentity: boolean;
  secrecyReview: SecrecyReview | null;
  /** Agency and actor ids and names are left out of every event. */
  agenciesHeldBack: boolean;
}

const REVIEW_COLUMNS = `r.id, r.subject_id, r.decision, r.reason_code, r.reviewed_by, to_char(r.reviewed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

function reviewOf(r: readonly unknown[]): SecrecyReview {
  return {
    id: r[0] as string,
    subjectId: r[1] as string,
    decision: r[2] as SecrecyDecision,
    reasonCode: r[3] as SecrecyReasonCode,
    reviewedBy: r[4] as string,
    reviewedAt: r[5] as string,
  };
}

/** Read in the extract's own snapshot, so the events and the decision over them agree. */
export async function extractSecrecy(q: ArrayQuery, subjectId: string): Promise<ExtractSecrecy> {
  const [row] = await q(
    `SELECT s.protected_identity <> 'none', ${REVIEW_COLUMNS}
     FROM subject s LEFT JOIN LATERAL (
       SELECT * FROM subject_secrecy_review x WHERE x.subject_id = s.id ORDER BY x.reviewed_at DESC, x.id DESC LIMIT 1
     ) r ON true
     WHERE s.id = $1`,
    [subjectId],
  );
  const protectedIdentity = row?.[0] === true;
  const secrecyReview = row && row[1] !== null ? reviewOf(row.slice(1)) : null;
  return { protectedIdentity, secrecyReview, agenciesHeldBack: protectedIdentity && secrecyReview?.decision !== 'release' };
}

interface WhoAccessed {
  actorId: string | null;
  actorName: string | null;
  actorAgencyId: string | null;
  agencyName: string | null;
  clientIp: string | null;
}

/** The events without who accessed, nor from which network (the role and what was done stay). */
export function holdBackAgencies<E extends WhoAccessed>(events: E[]): E[] {
  return events.map((e) => ({ ...e, actorId: null, actorName: null, actorAgencyId: null, agencyName: null, clientIp: null }));
}

/**
 * Records an auditor's secrecy review of a protected subject's extract, audited in the same
 * transaction. 404 for an unknown subject; 409 when the subject has no protected identity (its
 * extract names the agencies anyway).
 */
export async function recordSecrecyReview(
  app: FastifyInstance,
  em: EntityManager,
  actor: Actor,
  ctx: AuditContext,
  subjectId: string,
  input: { decision: SecrecyDecision; reasonCode: SecrecyReasonCode },
): Promise<SecrecyReview> {
  return transaction(em, async (tx) => {
    const [subject] = await sql<{ protected: boolean }>(tx, "SELECT protected_identity <> 'none' AS protected FROM subject WHERE id = ?", [
      subjectId,
    ]);
    if (!subject) throw notFound();
    if (!subject.protected) {
      throw conflict(
        'This person has no protected identity: their log extract names the agencies without a secrecy review.',
        'secrecy_review_not_needed',
      );
    }
    const [row] = await sql<{
      id: string;
      subject_id: string;
      decision: SecrecyDecision;
      reason_code: SecrecyReasonCode;
      reviewed_by: string;
      reviewed_at: string;
    }>(
      tx,
      `INSERT INTO subject_secrecy_review AS r (id, subject_id, decision, reason_code, reviewed_by) VALUES (?, ?, ?, ?, ?)
       RETURNING r.id, r.subject_id, r.decision, r.reason_code, r.reviewed_by, to_char(r.reviewed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS reviewed_at`,
      [randomUUID(), subjectId, input.decision, input.reasonCode, actor.id],
    );
    await app.audit.record(tx, ctx, {
      action: 'audit.secrecy_review',
      resourceType: 'subject',
      resourceId: subjectId,
      subjectId,
      outcome: 'allowed',
      reason: `${input.decision}:${input.reasonCode}`,
    });
    return {
      id: row!.id,
      subjectId: row!.subject_id,
      decision: row!.decision,
      reasonCode: row!.reason_code,
      reviewedBy: row!.reviewed_by,
      reviewedAt: row!.reviewed_at,
    };
  });
}
