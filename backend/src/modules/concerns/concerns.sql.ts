import { ts } from '../cases/cases.sql.js';
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

/** The marker's facts and the protected-identity check, for the concern `c` and the caller `p`. */
const MARKER = `${byPerson((m) => `EXISTS (SELECT 1 FROM subject x JOIN support_case k ON k.subject_id = x.id WHERE x.owner_agency_id = p.agency_id AND ${m})`)} AS has_case,
  ${byPerson((m) => `(SELECT count(*)::int FROM concern x WHERE x.created_at < c.created_at AND x.area = ANY (p.areas) AND ${m})`)} AS earlier_concerns,
  ${byPerson((m) => `EXISTS (SELECT 1 FROM subject x WHERE x.protected_identity <> 'none' AND ${m})`)} AS protected`;

const COLUMNS = `c.id, c.reference, c.status, c.status_changed_at, c.created_at, c.area, c.urgency,
  c.personal_identity_number, c.first_name, c.last_name, c.birth_date::text AS birth_date,
  c.observation, c.observed_on::text AS observed_on, c.observed_place, c.assessment, c.guardians_informed,
  c.reporter_user_id, c.reporter_phone, c.reporter_email, u.display_name AS reporter_name,
  a.name AS reporter_agency_name, a.kind AS reporter_agency_kind,
  c.decision, c.decision_reason, c.case_id,
  ${MARKER}`;

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

/** A concern as its answer (ConcernOut) before the decision point shapes it; `m` holds the marker's facts. */
const CONCERN_JSON = `json_build_object('id', c.id, 'reference', c.reference, 'status', c.status,
  'statusChangedAt', ${ts('c.status_changed_at')}, 'createdAt', ${ts('c.created_at')}, 'area', c.area, 'urgency', c.urgency,
  'person', json_build_object('personalIdentityNumber', c.personal_identity_number, 'firstName', c.first_name, 'lastName', c.last_name,
    'birthDate', c.birth_date::text),
  'observation', c.observation, 'observedOn', c.observed_on::text, 'observedPlace', c.observed_place, 'assessment', c.assessment,
  'guardiansInformed', c.guardians_informed,
  'reporter', json_build_object('name', u.display_name, 'agencyName', a.name, 'agencyKind', a.kind, 'phone', c.reporter_phone,
    'email', c.reporter_email),
  'reporterAgencyKind', a.kind, 'decision', c.decision, 'decisionReason', c.decision_reason, 'caseId', c.case_id,
  'marker', json_build_object('hasCase', m.has_case, 'earlierConcerns', m.earlier_concerns), 'protectedIdentity', m.protected)`;

/** audit_queue's columns and their types, as `app.audit.insertStatement` gives its rows in JSON. */
const AUDIT_COLUMNS: readonly (readonly [string, string])[] = [
  ['event_id', 'uuid'],
  ['actor_id', 'uuid'],
  ['actor_agency_id', 'uuid'],
  ['actor_role', 'text'],
  ['action', 'text'],
  ['resource_type', 'text'],
  ['resource_id', 'text'],
  ['case_id', 'uuid'],
  ['subject_id', 'uuid'],
  ['outcome', 'text'],
  ['reason', 'text'],
  ['consent_ids', 'uuid[]'],
  ['request_id', 'text'],
  ['client_ip', 'text'],
  ['client_request_id', 'text'],
];

/**
 * The list's audit events from the page `pg` (id, n from 1): the first event of the JSON rows
 * (`app.audit.insertStatement`'s parameter) once, and the second once per concern of the page
 * (n ≤ limit) with that concern's id as its resource (params: the event ids, limit + 1 of them in
 * order — the list's first, then the page's; the JSON rows; the limit). Written like this rather
 * than with `app.audit.perRowStatement`, which puts the listed id into `case_id`: a concern is no case.
 */
const LIST_AUDIT = `INSERT INTO audit_queue (${AUDIT_COLUMNS.map(([c]) => c).join(', ')})
  SELECT ${AUDIT_COLUMNS.map(([c]) => (c === 'event_id' ? '(?::uuid[])[r.n]' : c === 'resource_id' ? 'coalesce(r.id::text, x.resource_id)' : `x.${c}`)).join(', ')}
  FROM ROWS FROM (json_to_recordset(?::json) AS (${AUDIT_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')})) WITH ORDINALITY
    AS x(${AUDIT_COLUMNS.map(([c]) => c).join(', ')}, k)
  JOIN (SELECT NULL::uuid AS id, 1 AS n, 1 AS k UNION ALL SELECT pg.id, pg.n + 1, 2 FROM pg WHERE pg.n <= ?) r ON r.k = x.k`;

/**
 * A page of concerns in a view's scope, its audit events and whether more follow, in ONE
 * statement (params: agency id twice, user id, limit + 1, offset, then LIST_AUDIT's, then the
 * limit again): the intake sees its agency's areas (read here, not in a round trip of their own), the
 * coordinator all (both most urgent, then newest, first), the reporter its own (newest first).
 * The page is chosen on the concern rows alone, and only its rows get the marker's subqueries
 * (computed before the sort, they would run for every row in scope). The events commit with the
 * statement, before any row reaches this process. One row: `items` (ConcernOut as JSON, for the
 * decision point to shape) and `fetched` (more than the limit: a next page). One text per scope
 * and status.
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
  // p is inlined where it is used: its areas become a parameter of the plan, for the indexes.
  return `WITH p AS NOT MATERIALIZED (SELECT ?::uuid AS agency_id, coalesce((SELECT g.areas FROM agency g WHERE g.id = ?::uuid), '{}') AS areas),
  pg AS MATERIALIZED (SELECT s.id, (row_number() OVER ())::int AS n
    FROM (SELECT c.id FROM p CROSS JOIN concern c WHERE ${scope} AND ${STATUS_WHERE[status]} ORDER BY ${order} LIMIT ? OFFSET ?) s),
  audit AS (${LIST_AUDIT})
  SELECT (SELECT count(*)::int FROM pg) AS fetched,
    (SELECT coalesce(json_agg(${CONCERN_JSON} ORDER BY pg.n), '[]'::json)
     FROM pg JOIN concern c ON c.id = pg.id JOIN app_user u ON u.id = c.reporter_user_id JOIN agency a ON a.id = c.reporter_agency_id
       CROSS JOIN p CROSS JOIN LATERAL (SELECT ${MARKER}) m
     WHERE pg.n <= ?) AS items`;
}

/** Facts for a write, locked (params: concern id). */
export const CONCERN_LOCK_SQL = `SELECT id, reference, status, area, reporter_user_id, personal_identity_number, first_name, last_name, birth_date::text AS birth_date,
  observation, assessment FROM concern WHERE id = ? FOR UPDATE`;
