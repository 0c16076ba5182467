import type { ConcernView } from './concerns.policy.js';

/**
 * The SQL of concerns. Every read takes the same leading parameters: the caller's agency id and
 * its areas (`?::uuid`, `?::text[]`), for the intake's marker (a case of this unit, earlier
 * concerns in its areas) and the protected-identity check. The marker is computed for every
 * caller, so that no answer's timing depends on a view; the decision point decides who sees it.
 */

/** One subquery per way of naming the person, so that each can use its own index. */
const byPerson = (sub: (match: string) => string): string => `CASE WHEN c.personal_identity_number IS NOT NULL
    THEN ${sub('x.personal_identity_number = c.personal_identity_number')}
    ELSE ${sub('x.birth_date = c.birth_date AND lower(x.first_name) = lower(c.first_name) AND lower(x.last_name) = lower(c.last_name)')} END`;

const COLUMNS = `c.id, c.reference, c.status, c.status_changed_at, c.created_at, c.area, c.urgency,
  c.personal_identity_number, c.first_name, c.last_name, c.birth_date::text AS birth_date,
  c.observation, c.observed_on::text AS observed_on, c.observed_place, c.assessment, c.guardians_informed,
  c.reporter_user_id, c.reporter_phone, c.reporter_email, u.display_name AS reporter_name,
  a.name AS reporter_agency_name, a.kind AS reporter_agency_kind,
  c.decision, c.decision_reason, c.case_id,
  ${byPerson((m) => `EXISTS (SELECT 1 FROM subject x JOIN support_case k ON k.subject_id = x.id WHERE x.owner_agency_id = p.agency_id AND ${m})`)} AS has_case,
  ${byPerson((m) => `(SELECT count(*)::int FROM concern x WHERE x.created_at < c.created_at AND x.area = ANY (p.areas) AND ${m})`)} AS earlier_concerns,
  ${byPerson((m) => `EXISTS (SELECT 1 FROM subject x WHERE x.protected_identity <> 'none' AND ${m})`)} AS protected`;

const FROM = `FROM (SELECT ?::uuid AS agency_id, ?::text[] AS areas) p
  CROSS JOIN concern c JOIN app_user u ON u.id = c.reporter_user_id JOIN agency a ON a.id = c.reporter_agency_id`;

/** A row of the reads below. */
export interface ConcernRow {
  id: string;
  reference: string;
  status: 'received' | 'being_assessed' | 'closed';
  status_changed_at: Date;
  created_at: Date;
  area: string;
  urgency: 'acute' | 'urgent' | 'normal';
  personal_identity_number: string | null;
  first_name: string | null;
  last_name: string | null;
  birth_date: string;
  observation: string;
  observed_on: string;
  observed_place: string;
  assessment: string;
  guardians_informed: boolean;
  reporter_user_id: string;
  reporter_phone: string | null;
  reporter_email: string | null;
  reporter_name: string;
  reporter_agency_name: string;
  reporter_agency_kind: 'school' | 'social_services' | 'police' | 'leisure' | 'other';
  decision: 'link' | 'open_case' | 'no_action' | null;
  decision_reason: string | null;
  case_id: string | null;
  has_case: boolean;
  earlier_concerns: number;
  protected: boolean;
}

/** One concern (params: agency id, areas, concern id). */
export const CONCERN_SQL = `SELECT ${COLUMNS} ${FROM} WHERE c.id = ?`;

export type ListStatus = 'open' | 'closed' | 'all';
const STATUS_WHERE: Record<ListStatus, string> = { open: "c.status <> 'closed'", closed: "c.status = 'closed'", all: 'true' };

/**
 * A page of concerns in a view's scope (params: agency id, areas, user id, limit, offset): the
 * intake its agency's areas, the coordinator all (both most urgent, then newest, first), the
 * reporter its own (newest first). The page is chosen on the concern rows alone, and only its
 * rows get the marker's subqueries (computed before the sort, they would run for every row in
 * scope). One fixed text per scope and status.
 */
export function concernListSql(view: ConcernView, status: ListStatus): string {
  // Every scope binds the user id, so that the parameters are the same for all three texts.
  const scope =
    view === 'intake'
      ? 'c.area = ANY (p.areas) AND ?::uuid IS NOT NULL'
      : view === 'reporter'
        ? 'c.reporter_user_id = ?::uuid'
        : '?::uuid IS NOT NULL';
  const order = view === 'reporter' ? 'c.created_at DESC, c.id' : 'c.urgency_rank, c.created_at DESC, c.id';
  return `SELECT ${COLUMNS} FROM (SELECT ?::uuid AS agency_id, ?::text[] AS areas) p
  CROSS JOIN LATERAL (SELECT c.id FROM concern c WHERE ${scope} AND ${STATUS_WHERE[status]} ORDER BY ${order} LIMIT ? OFFSET ?) page
  JOIN concern c ON c.id = page.id JOIN app_user u ON u.id = c.reporter_user_id JOIN agency a ON a.id = c.reporter_agency_id
  ORDER BY ${order}`;
}

/** Facts for a write, locked (params: concern id). */
export const CONCERN_LOCK_SQL = `SELECT id, reference, status, area, reporter_user_id, personal_identity_number, first_name, last_name, birth_date::text AS birth_date,
  observation, assessment FROM concern WHERE id = ? FOR UPDATE`;
