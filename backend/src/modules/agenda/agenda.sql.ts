import { ts } from '../cases/cases.sql.js';

/**
 * The start page in ONE statement: the caller's cases (the owning unit: those it is responsible
 * for or deputy on, of its own agency; a partner: those its agency takes part in), each with what
 * waits in it, and the count of withdrawn consents. Only cases with something to show come back.
 * Nothing here decides what the caller may see: the service asks the decision point.
 *
 * Params — owner: agency, user, user (deputy), agency (mine), user (last seen), user, session
 * (since), agency (plan), plan due until, meetings from, meetings until, today, today, consents
 * until, agency (entries), then the audit's (`ownerAgendaSql`). Partner: agency (mine), user (last
 * seen), user, session (since), agency (plan), plan due until, meetings from, meetings until,
 * agency (entries), agency (withdrawn consents naming it).
 */
export const PARTNER_AGENDA_SQL = (): string => PARTNER_SQL;

/**
 * The owning unit's statement, which also writes the read's audit events (`audit`:
 * `app.audit.perRowStatement` over `AUDITED_SOURCE`, at most AUDITED_IN_STATEMENT rows) before
 * any row reaches this process: the decision point allows every case of the caller's own agency
 * to its social worker as the owner, who sees each whole, so which cases the page shows is known
 * here. Each case carries its ordinal `n`; the events of cases beyond AUDITED_IN_STATEMENT are
 * the service's to write.
 */
export function ownerAgendaSql(audit: string): string {
  if (ownerText?.audit !== audit) ownerText = { audit, text: text(MINE_OWNER, true, audit) };
  return ownerText.text;
}
let ownerText: { audit: string; text: string } | undefined;

/** The relation of shown cases (id, subject_id) the owner's audit events are written from. */
export const AUDITED_SOURCE = 'head';
/** Cases of one start page whose audit events its statement writes (a caseworker has far fewer). */
export const AUDITED_IN_STATEMENT = 100;

// Deputy on a case of another agency opens nothing as the owner: left out here.
const MINE_OWNER = `SELECT sc.id FROM support_case sc WHERE sc.owner_agency_id = ? AND sc.owner_user_id = ?
  UNION SELECT sc.id FROM support_case sc WHERE sc.deputy_user_id = ? AND sc.owner_agency_id = ?`;
const MINE_PARTNER = 'SELECT cp.case_id AS id FROM case_participant cp WHERE cp.agency_id = ?';

const text = (mine: string, owner: boolean, audit?: string): string => `
WITH mine AS (${mine}),
seen AS (SELECT l.case_id, l.seen_at FROM case_last_seen l WHERE l.user_id = ?),
since AS (SELECT max(us.created_at) AS at FROM user_session us WHERE us.user_id = ? AND us.id <> ?),
c AS (
  SELECT sc.id, sc.owner_agency_id, sc.status, sc.case_number, sc.closed_at, s.id AS subject_id, s.first_name, s.last_name,
         s.protected_identity <> 'none' AS protected, coalesce(seen.seen_at, '-infinity') AS seen_at
  FROM support_case sc JOIN mine ON mine.id = sc.id JOIN subject s ON s.id = sc.subject_id LEFT JOIN seen ON seen.case_id = sc.id
  WHERE sc.status <> 'closed' OR sc.closed_at > (SELECT at FROM since)
),
-- Materialised: its filter and its output would otherwise each run the per-case subqueries.
j AS MATERIALIZED (
  SELECT c.*,
    (SELECT coalesce(json_agg(json_build_object('id', p.id, 'category', p.category, 'authorAgencyId', p.author_agency_id,
        'action', p.action, 'dueDate', p.due_date::text) ORDER BY p.due_date, p.id), '[]'::json)
     FROM plan_item p WHERE p.case_id = c.id AND c.status <> 'closed' AND p.responsible_agency_id = ? AND p.due_date <= ?::date
       AND p.status IN ('planned', 'in_progress')) AS plan_items,
    (SELECT coalesce(json_agg(json_build_object('id', m.id, 'category', m.category, 'authorAgencyId', m.author_agency_id,
        'date', m.date::text, 'startsAt', ${ts('m.starts_at')}) ORDER BY m.date, m.starts_at, m.id), '[]'::json)
     FROM meeting m WHERE m.case_id = c.id AND c.status <> 'closed' AND m.date BETWEEN ?::date AND ?::date AND m.status <> 'cancelled') AS meetings,
    ${
      owner
        ? `(SELECT coalesce(json_agg(json_build_object('id', k.id, 'validTo', k.valid_to::text) ORDER BY k.valid_to, k.id), '[]'::json)
     FROM consent k WHERE k.case_id = c.id AND c.status <> 'closed' AND k.withdrawn_at IS NULL AND k.valid_from <= ?::date AND k.valid_to BETWEEN ?::date AND ?::date)`
        : `'[]'::json`
    } AS consents,
    (SELECT coalesce(json_agg(json_build_object('authorAgencyId', g.author_agency_id, 'category', g.category, 'n', g.n)), '[]'::json)
     FROM (SELECT e.author_agency_id, e.category, count(*)::int AS n FROM journal_entry e
           WHERE e.case_id = c.id AND e.author_agency_id <> ? AND e.created_at > c.seen_at GROUP BY 1, 2) g) AS new_entries
  FROM c
),
shown AS MATERIALIZED (
  SELECT j.*, (row_number() OVER (ORDER BY j.id))::int AS n FROM j
  WHERE json_array_length(j.plan_items) > 0 OR json_array_length(j.meetings) > 0 OR json_array_length(j.consents) > 0
     OR json_array_length(j.new_entries) > 0 OR j.closed_at > (SELECT at FROM since)
)${
  audit
    ? `,
${AUDITED_SOURCE} AS (SELECT shown.id, shown.subject_id FROM shown WHERE shown.n <= ${AUDITED_IN_STATEMENT} ORDER BY shown.n),
audit AS (${audit})`
    : ''
}
SELECT ${ts('(SELECT at FROM since)')} AS since,
  (SELECT count(*)::int FROM consent k JOIN mine ON mine.id = k.case_id
   WHERE k.withdrawn_at > (SELECT at FROM since)${owner ? '' : ' AND ? = ANY (k.agency_ids)'}) AS withdrawn,
  (SELECT coalesce(json_agg(json_build_object(
      'id', j.id, 'n', j.n, 'ownerAgencyId', j.owner_agency_id, 'subjectId', j.subject_id, 'protected', j.protected,
      'caseNumber', j.case_number, 'closedAt', ${ts('j.closed_at')}, 'closedSince', j.closed_at > (SELECT at FROM since),
      'subject', json_build_object('firstName', j.first_name, 'lastName', j.last_name),
      'planItems', j.plan_items, 'meetings', j.meetings, 'consents', j.consents, 'newEntries', j.new_entries) ORDER BY j.n), '[]'::json)
   FROM shown j) AS cases`;

const PARTNER_SQL = text(MINE_PARTNER, false);

/** A case of the statement's answer, before the decision point has seen it: only what the start page shows or decides on. */
export interface AgendaCaseRow {
  id: string;
  /** Its place in the answer, from 1: the owner's statement audits those up to AUDITED_IN_STATEMENT. */
  n: number;
  ownerAgencyId: string;
  subjectId: string;
  protected: boolean;
  caseNumber: string | null;
  closedAt: string | null;
  closedSince: boolean | null;
  subject: { firstName: string; lastName: string };
  planItems: { id: string; category: string; authorAgencyId: string; action: string; dueDate: string }[];
  meetings: { id: string; category: string; authorAgencyId: string; date: string; startsAt: string | null }[];
  consents: { id: string; validTo: string }[];
  newEntries: { authorAgencyId: string; category: string; n: number }[];
}

/** Marks the case as read by the user now (the start page's unread marks count from here). */
export const MARK_SEEN_SQL = `INSERT INTO case_last_seen (user_id, case_id, seen_at) VALUES (?, ?, now())
  ON CONFLICT (user_id, case_id) DO UPDATE SET seen_at = EXCLUDED.seen_at`;
