import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../db/sql.js';
import { ageOn, stockholmDate } from '../consents/calendar.js';
import type { CitizenPolicy } from './citizen.policy.js';
import type { CitizenRelation, CitizenScope } from './citizen.types.js';

export type ProtectedIdentity = 'none' | 'sekretessmarkering' | 'skyddad_folkbokforing';
export type ReviewDecision = 'release' | 'withhold';

/** What decides one candidate relation: a subject row the citizen is, or a guardian row of a subject. */
export interface RelationFacts {
  as: 'subject' | 'guardian';
  /** The subject's age today (whole years, Europe/Stockholm). */
  subjectAge: number;
  /** Guardian rows only: whether this guardian has custody. */
  custody: boolean;
  subjectProtectedIdentity: ProtectedIdentity;
  /** The newest access review about the subject (null: none). */
  subjectReview: ReviewDecision | null;
  /** Guardian rows only: the guardian's own protected identity and the newest review about them. */
  guardianProtectedIdentity: ProtectedIdentity;
  guardianReview: ReviewDecision | null;
}

/**
 * `policies/citizen.yaml` applied to one candidate: no relation (null), or the access it gives.
 * A subject sees from `subjectFromAge`; a guardian only with custody and while the subject is
 * under `guardianUntilAge`. Protected identity (of the subject, or of this guardian) keeps the
 * view to "contact your social worker" until the newest access review about that person releases it.
 */
export function decideRelation(policy: CitizenPolicy, f: RelationFacts): 'full' | 'contact_social_worker' | null {
  if (f.as === 'subject') {
    if (f.subjectAge < policy.subjectFromAge) return null;
  } else if (!f.custody || f.subjectAge >= policy.guardianUntilAge) {
    return null;
  }
  const held = (p: ProtectedIdentity, review: ReviewDecision | null): boolean => p !== 'none' && review !== 'release';
  if (held(f.subjectProtectedIdentity, f.subjectReview)) return 'contact_social_worker';
  if (f.as === 'guardian' && held(f.guardianProtectedIdentity, f.guardianReview)) return 'contact_social_worker';
  return 'full';
}

interface CandidateRow {
  subject_id: string;
  as: 'subject' | 'guardian';
  guardian_id: string | null;
  first_name: string;
  birth_date: string;
  custody: boolean;
  subject_protected: ProtectedIdentity;
  subject_review: ReviewDecision | null;
  guardian_protected: ProtectedIdentity;
  guardian_review: ReviewDecision | null;
}

// Every subject row this person is (with a case), and every guardian row with their number, with
// the newest access review about the subject and about that guardian: one round trip. Age,
// custody and protection are decided in decideRelation, so the decision table tests the rule itself.
const CANDIDATES_SQL = `
  WITH c AS (
    SELECT s.id AS subject_id, 'subject' AS "as", NULL::uuid AS guardian_id, s.first_name, s.birth_date,
           true AS custody, s.protected_identity AS subject_protected, 'none' AS guardian_protected
      FROM subject s
     WHERE s.personal_identity_number = ?
    UNION ALL
    SELECT s.id, 'guardian', g.id, s.first_name, s.birth_date, g.custody, s.protected_identity, g.protected_identity
      FROM guardian g JOIN subject s ON s.id = g.subject_id
     WHERE g.personal_identity_number = ?
  )
  SELECT coalesce(json_agg(json_build_object(
           'subject_id', c.subject_id, 'as', c."as", 'guardian_id', c.guardian_id, 'first_name', c.first_name,
           'birth_date', c.birth_date, 'custody', c.custody, 'subject_protected', c.subject_protected,
           'guardian_protected', c.guardian_protected,
           'subject_review', (SELECT r.decision FROM citizen_access_review r
                               WHERE r.subject_id = c.subject_id AND r.guardian_id IS NULL
                               ORDER BY r.reviewed_at DESC, r.id DESC LIMIT 1),
           'guardian_review', CASE WHEN c.guardian_id IS NOT NULL THEN
                                (SELECT r.decision FROM citizen_access_review r
                                  WHERE r.subject_id = c.subject_id AND r.guardian_id = c.guardian_id
                                  ORDER BY r.reviewed_at DESC, r.id DESC LIMIT 1) END)
           ORDER BY c.birth_date DESC, c.subject_id, c.guardian_id), '[]'::json) AS rows
    FROM c
   WHERE EXISTS (SELECT 1 FROM support_case k WHERE k.subject_id = c.subject_id)`;

/** Who the citizen with this personal identity number may see today, and how. */
export async function citizenScope(em: EntityManager, policy: CitizenPolicy, pin: string, now: Date = new Date()): Promise<CitizenScope> {
  const [row] = await sql<{ rows: CandidateRow[] }>(em, CANDIDATES_SQL, [pin, pin]);
  const today = stockholmDate(now);
  const relations: CitizenRelation[] = [];
  for (const c of row?.rows ?? []) {
    const age = ageOn(c.birth_date, today);
    const access = decideRelation(policy, {
      as: c.as,
      subjectAge: age,
      custody: c.custody,
      subjectProtectedIdentity: c.subject_protected,
      subjectReview: c.subject_review,
      guardianProtectedIdentity: c.guardian_protected,
      guardianReview: c.guardian_review,
    });
    if (access === null) continue;
    relations.push({
      subjectId: c.subject_id,
      as: c.as,
      guardianId: c.guardian_id,
      access,
      firstName: access === 'full' ? c.first_name : null,
      age,
    });
  }
  return { relations };
}
