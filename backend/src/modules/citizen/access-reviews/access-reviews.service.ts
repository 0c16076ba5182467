import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../../db/sql.js';
import { badRequest } from '../../../lib/problem.js';
import type { AuditContext } from '../../../plugins/app/audit.js';
import type { Actor } from '../../../types.js';
import type { AccessReviewIn, AccessReviewOut } from './access-reviews.schemas.js';

export const CREATE = 'case.citizen_access_review.create';
export const READ = 'case.citizen_access_review.read';

const REVIEW_JSON = `json_build_object('id', r.id, 'person', CASE WHEN r.guardian_id IS NULL THEN 'subject' ELSE 'guardian' END,
  'guardianId', r.guardian_id, 'decision', r.decision, 'reasonCode', r.reason_code,
  'reviewedAt', to_char(r.reviewed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'reviewedByName', (SELECT u.display_name FROM app_user u WHERE u.id = r.reviewed_by))`;

/**
 * A social worker's decision that a person with protected identity (the subject, or one guardian
 * of the subject) may use the citizen view, or may not. Append-only: the newest review about a
 * person decides (citizen.scope.ts). Only the owning unit's social worker (these actions are not
 * gated: the decision point allows the owner only), through the case; anyone else gets 404.
 */
export class CitizenAccessReviews {
  constructor(private readonly app: FastifyInstance) {}

  async create(em: EntityManager, actor: Actor, caseId: string, body: AccessReviewIn, ctx: AuditContext): Promise<AccessReviewOut> {
    if (body.person === 'subject' && body.guardianId !== undefined) {
      throw badRequest('A review about the subject names no guardian; leave guardianId out.', 'guardian_not_expected', '/guardianId');
    }
    if (body.person === 'guardian' && body.guardianId === undefined) {
      throw badRequest('Name the guardian the review is about (guardianId).', 'guardian_required', '/guardianId');
    }
    const id = randomUUID();
    return this.app.caseAccess.write(
      em,
      actor,
      caseId,
      CREATE,
      ctx,
      async (tx, access) => {
        const [row] = await sql<{ review: AccessReviewOut | null }>(
          tx,
          `WITH ins AS (
             INSERT INTO citizen_access_review (id, subject_id, guardian_id, decision, reason_code, reviewed_by)
             SELECT ?::uuid, ?::uuid, g.id, ?::text, ?::text, ?::uuid
               FROM (SELECT ?::uuid AS id) g
              WHERE g.id IS NULL OR EXISTS (SELECT 1 FROM guardian x WHERE x.id = g.id AND x.subject_id = ?::uuid)
             RETURNING *)
           SELECT (SELECT ${REVIEW_JSON} FROM ins r) AS review`,
          [id, access.facts.subjectId, body.decision, body.reasonCode, actor.id, body.guardianId ?? null, access.facts.subjectId],
        );
        if (!row?.review)
          throw badRequest("The guardian is not one of the subject's guardians on record.", 'unknown_guardian', '/guardianId');
        await this.app.audit.record(tx, ctx, this.app.caseAccess.event(access, CREATE, 'citizen_access_review', id));
        return row.review;
      },
      // A closed case's subject can still sign in and see their consents: the review still matters.
      { allowClosed: true },
    );
  }

  async list(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<{ items: AccessReviewOut[] }> {
    const access = await this.app.caseAccess.load(em, actor, caseId, READ, ctx);
    const [row] = await sql<{ items: AccessReviewOut[] }>(
      em,
      `SELECT coalesce(json_agg(${REVIEW_JSON} ORDER BY r.reviewed_at DESC, r.id DESC), '[]'::json) AS items
         FROM citizen_access_review r WHERE r.subject_id = ?`,
      [access.facts.subjectId],
    );
    await this.app.audit.record(em, ctx, this.app.caseAccess.event(access, READ, 'citizen_access_review', caseId));
    return { items: row?.items ?? [] };
  }
}
