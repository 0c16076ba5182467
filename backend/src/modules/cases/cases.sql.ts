import { GATE_FACTS_JSON } from '../consents/gate.sql.js';
import { LIST_TOTAL_CAP, NAME_SEARCH_TOTAL_CAP } from './cases.schemas.js';

/**
 * The SQL text of the cases module: statements of the hot paths (exported so that the benchmark
 * runs exactly them in pgbench) and the JSON shapes of read models. No I/O here.
 */

export const ts = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** The display name of a staff member (the author of an item): never a subject's name. */
export const userName = (col: string): string => `(SELECT u.display_name FROM app_user u WHERE u.id = ${col})`;

export const PLAN_ITEM_JSON = `json_build_object(
  'id', pi.id, 'caseId', pi.case_id, 'category', pi.category, 'lifeArea', pi.life_area, 'goal', pi.goal, 'action', pi.action,
  'responsibleAgencyId', pi.responsible_agency_id, 'dueDate', pi.due_date::text, 'status', pi.status,
  'authorAgencyId', pi.author_agency_id, 'authorUserId', pi.author_user_id, 'authorName', ${userName('pi.author_user_id')}, 'createdAt', ${ts('pi.created_at')}, 'updatedAt', ${ts('pi.updated_at')},
  'followUps', (SELECT coalesce(json_agg(json_build_object('id', f.id, 'note', f.note, 'authorUserId', f.author_user_id, 'authorName', ${userName('f.author_user_id')},
      'authorAgencyId', f.author_agency_id, 'createdAt', ${ts('f.created_at')}) ORDER BY f.created_at, f.id), '[]'::json)
    FROM plan_item_follow_up f WHERE f.plan_item_id = pi.id))`;

export const MEETING_JSON = `json_build_object(
  'id', m.id, 'caseId', m.case_id, 'category', m.category, 'date', m.date::text, 'agencyIds', to_json(m.agency_ids), 'people', to_json(m.people),
  'agenda', m.agenda, 'minutes', m.minutes, 'authorAgencyId', m.author_agency_id, 'authorUserId', m.author_user_id, 'authorName', ${userName('m.author_user_id')}, 'createdAt', ${ts('m.created_at')},
  'status', m.status, 'startsAt', ${ts('m.starts_at')}, 'endsAt', ${ts('m.ends_at')}, 'place', m.place, 'invitees', to_json(m.invitees),
  'attendedAgencyIds', to_json(coalesce(m.attended_agency_ids, '{}')), 'attendedPeople', to_json(coalesce(m.attended_people, '{}')),
  'planSnapshot', m.plan_snapshot, 'updatedAt', ${ts('m.updated_at')},
  'decisions', (SELECT coalesce(json_agg(json_build_object('id', d.id, 'text', d.text, 'planItemId', d.plan_item_id) ORDER BY d.position), '[]'::json)
    FROM meeting_decision d WHERE d.meeting_id = m.id))`;

/**
 * The network of case `c` as one JSON list: the owning agency first, then the participants in
 * the order they joined, each with its contact (null fields while none is named).
 */
export const networkJson = (
  c: string,
): string => `(SELECT coalesce(json_agg(json_build_object('agencyId', n.agency_id, 'agencyName', a.name,
      'agencyKind', a.kind, 'owner', n.owner, 'contactName', k.contact_name, 'contactRole', k.contact_role,
      'contactPhone', k.contact_phone, 'contactEmail', k.contact_email, 'updatedAt', ${ts('k.updated_at')})
      ORDER BY n.owner DESC, n.added_at, a.name), '[]'::json)
    FROM (SELECT ${c}.owner_agency_id AS agency_id, true AS owner, ${c}.created_at AS added_at
          UNION ALL SELECT p.agency_id, false, p.added_at FROM case_participant p WHERE p.case_id = ${c}.id) n
    JOIN agency a ON a.id = n.agency_id
    LEFT JOIN case_contact k ON k.case_id = ${c}.id AND k.agency_id = n.agency_id)`;

const ENTRY_COLUMNS = `e.id, e.case_id AS "caseId", e.category, e.text, e.author_agency_id AS "agencyId", e.author_user_id AS "authorId", ${userName('e.author_user_id')} AS "authorName",
  e.corrects_id AS corrects, ${ts('e.created_at')} AS "createdAt"`;

const RECENT_MEETINGS = 5;

// The statements of the hot paths, exported so that the benchmark runs exactly them in pgbench.

/**
 * Facts of one case (param: case id); `lock` in writes, so that a concurrent close waits. A read
 * adds what it will show as `extra` select-list items on the case row `f` (their params come
 * first): one round trip for the access decision and the data, which is dropped if denied.
 */
export const caseFactsSql = (lock: boolean, extra = '', withGate = false): string => {
  // The same text object for the same arguments (the callers pass constants): sql() finds its
  // prepared statement by the text, and a string hashes once, not at every request.
  const memo = factsSqlTexts[(lock ? 1 : 0) + (withGate ? 2 : 0)]!;
  let text = memo.get(extra);
  if (text === undefined) {
    text = `SELECT f.owner_agency_id, f.subject_id, f.status, f.type, f.owner_user_id,
          (SELECT s.protected_identity <> 'none' FROM subject s WHERE s.id = f.subject_id) AS protected,
          ARRAY(SELECT p.agency_id::text FROM case_participant p WHERE p.case_id = f.id ORDER BY p.added_at) AS participants${extra ? `,\n          ${extra}` : ''}${
            withGate
              ? `,\n          CASE WHEN f.owner_agency_id <> ?::uuid THEN ${GATE_FACTS_JSON('f.id', 'f.subject_id')} END AS gate_facts`
              : ''
          }
   FROM support_case f WHERE f.id = ?${lock ? ' FOR SHARE OF f' : ''}`;
    if (memo.size < 32) memo.set(extra, text);
  }
  return text;
};
/**
 * By lock and gate (index: lock + 2 × withGate). `withGate` adds, after `extra`'s params, the
 * caller's agency: another agency's read gets the consent gate's facts (`gate_facts`) in the same
 * round trip; the owner's gets null and pays nothing for them.
 */
const factsSqlTexts: Map<string, string>[] = [new Map(), new Map(), new Map(), new Map()];

/** One case with everything shown on its page (param: case id). */
export const CASE_DETAIL_SQL = `SELECT c.id, c.type, c.status, c.phase, c.area, c.reason, c.outcome, c.outcome_code AS "outcomeCode",
      c.owner_agency_id AS "ownerAgencyId", c.owner_user_id AS "ownerUserId", c.case_number AS "caseNumber",
      c.owner_user_id AS "responsibleUserId", ${userName('c.owner_user_id')} AS "responsibleName",
      c.deputy_user_id AS "deputyUserId", ${userName('c.deputy_user_id')} AS "deputyName",
      ${ts('c.created_at')} AS "createdAt", ${ts('c.updated_at')} AS "updatedAt", ${ts('c.closed_at')} AS "closedAt",
      json_build_object('id', s.id, 'personalIdentityNumber', s.personal_identity_number, 'birthDate', s.birth_date::text,
        'coordinationNumber', s.coordination_number, 'firstName', s.first_name, 'lastName', s.last_name,
        'protectedIdentity', s.protected_identity, 'phone', s.phone, 'email', s.email, 'address', s.address,
        'guardians', (SELECT coalesce(json_agg(json_build_object('id', g.id, 'firstName', g.first_name, 'lastName', g.last_name,
            'personalIdentityNumber', g.personal_identity_number, 'custody', g.custody, 'protectedIdentity', g.protected_identity, 'phone', g.phone, 'email', g.email,
            'address', g.address) ORDER BY g.created_at, g.id), '[]'::json) FROM guardian g WHERE g.subject_id = s.id)) AS subject,
      (SELECT coalesce(json_agg(json_build_object('agencyId', p.agency_id, 'name', a.name, 'kind', a.kind, 'addedAt', ${ts('p.added_at')})
          ORDER BY p.added_at, a.name), '[]'::json)
         FROM case_participant p JOIN agency a ON a.id = p.agency_id WHERE p.case_id = c.id) AS participants,
      ${networkJson('c')} AS network,
      (SELECT coalesce(json_agg(${PLAN_ITEM_JSON} ORDER BY pi.created_at, pi.id), '[]'::json) FROM plan_item pi WHERE pi.case_id = c.id) AS "planItems",
      (SELECT coalesce(json_agg(r.j ORDER BY r.date DESC, r.created_at DESC), '[]'::json) FROM (
         SELECT ${MEETING_JSON} AS j, m.date, m.created_at FROM meeting m WHERE m.case_id = c.id ORDER BY m.date DESC, m.created_at DESC LIMIT ${RECENT_MEETINGS}
       ) r) AS "recentMeetings"
   FROM support_case c JOIN subject s ON s.id = c.subject_id
   WHERE c.id = ?`;
/** caseFactsSql extra: the case's page (`detail`, as CASE_DETAIL_SQL shapes it; no params). */
export const CASE_DETAIL_EXTRA = `(SELECT to_json(d) FROM (${CASE_DETAIL_SQL.replace(/WHERE c\.id = \?$/, 'WHERE c.id = f.id')}) d) AS detail`;

/** A page of a case's journal, newest first. Params: case id, [allowed author agencies, their categories (pairwise) when `pairs`], limit, offset. */
export const entriesPageSql = (pairs: boolean, keyset = false): string =>
  `SELECT ${ENTRY_COLUMNS} FROM journal_entry e WHERE e.case_id = ?${pairs ? ' AND (e.author_agency_id, e.category) IN (SELECT * FROM unnest(?::uuid[], ?::text[]))' : ''}${keyset ? ` AND ${OLDER_THAN_ENTRY('e.case_id')}` : ''} ORDER BY e.created_at DESC, e.id DESC LIMIT ?${keyset ? '' : ' OFFSET ?'}`;
/** Keyset: entries older than the entry `?` of the same case (none, if it is not one of the case's). */
const OLDER_THAN_ENTRY = (caseCol: string): string =>
  `(e.created_at, e.id) < (SELECT k.created_at, k.id FROM journal_entry k WHERE k.id = ?::uuid AND k.case_id = ${caseCol})`;
const ENTRY_JSON = `json_build_object('id', e.id, 'caseId', e.case_id, 'category', e.category, 'text', e.text, 'agencyId', e.author_agency_id,
  'authorId', e.author_user_id, 'authorName', ${userName('e.author_user_id')}, 'corrects', e.corrects_id, 'createdAt', ${ts('e.created_at')})`;
/**
 * caseFactsSql extra: how many entries each agency wrote in each category (`entryGroups`: what
 * the consent gate decides on); with ENTRIES_EXTRA (params: the caller's agency, limit, offset)
 * also the journal's page with no entry left out (`entries`) — for the owning agency only, which
 * sees every entry of its case; another agency's page is read by partnerEntriesPageSql instead
 * (null here, so nothing is built only to be thrown away).
 */
export const ENTRY_GROUPS_EXTRA = `(SELECT coalesce(json_agg(json_build_object('authorAgencyId', g.a, 'category', g.category, 'n', g.n)), '[]'::json)
     FROM (SELECT author_agency_id AS a, category, count(*)::int AS n FROM journal_entry WHERE case_id = f.id GROUP BY 1, 2) g) AS "entryGroups"`;
export const ENTRIES_EXTRA = `${ENTRY_GROUPS_EXTRA},
   CASE WHEN f.owner_agency_id = ?::uuid THEN (SELECT coalesce(json_agg(x.j ORDER BY x.created_at DESC, x.id DESC), '[]'::json)
     FROM (SELECT ${ENTRY_JSON} AS j, e.created_at, e.id FROM journal_entry e WHERE e.case_id = f.id ORDER BY e.created_at DESC, e.id DESC LIMIT ? OFFSET ?) x) END AS entries`;
/** ENTRIES_EXTRA for a deep page by keyset (params: the caller's agency, the last entry of the previous page, limit). */
export const ENTRIES_AFTER_EXTRA = ENTRIES_EXTRA.replace(
  'WHERE e.case_id = f.id ORDER BY',
  `WHERE e.case_id = f.id AND ${OLDER_THAN_ENTRY('f.id')} ORDER BY`,
).replace('LIMIT ? OFFSET ?', 'LIMIT ?');

/**
 * A filtered page of a case's journal (a search), newest first, within the groups the caller may
 * see. One fixed text: a filter not given is a null parameter. `q` matches the text
 * case-insensitively as a LIKE pattern the caller escaped. Params: case id, allowed author
 * agencies, their categories (pairwise), category ×2, agency ×2, author ×2, from ×2, to ×2,
 * pattern ×2, after ×2, case id, limit, offset. One row: `total` (all matches) and `entries` (the page).
 */
export const FILTERED_ENTRIES_SQL = `WITH m AS MATERIALIZED (
    SELECT e.id, e.created_at FROM journal_entry e
    WHERE e.case_id = ?::uuid AND (e.author_agency_id, e.category) IN (SELECT * FROM unnest(?::uuid[], ?::text[]))
      AND (?::text IS NULL OR e.category = ?::text)
      AND (?::uuid IS NULL OR e.author_agency_id = ?::uuid)
      AND (?::uuid IS NULL OR e.author_user_id = ?::uuid)
      AND (?::date IS NULL OR e.created_at >= (?::date)::timestamp AT TIME ZONE 'Europe/Stockholm')
      AND (?::date IS NULL OR e.created_at < (?::date + 1)::timestamp AT TIME ZONE 'Europe/Stockholm')
      AND (?::text IS NULL OR e.text ILIKE ?::text ESCAPE '\\')
  ), k AS (
    SELECT m.id FROM m
    WHERE ?::uuid IS NULL OR (m.created_at, m.id) < (SELECT a.created_at, a.id FROM journal_entry a WHERE a.id = ?::uuid AND a.case_id = ?::uuid)
    ORDER BY m.created_at DESC, m.id DESC LIMIT ? OFFSET ?
  )
  SELECT (SELECT count(*)::int FROM m) AS total,
    (SELECT coalesce(json_agg(${ENTRY_JSON} ORDER BY e.created_at DESC, e.id DESC), '[]'::json) FROM journal_entry e WHERE e.id IN (SELECT id FROM k)) AS entries`;

/**
 * Another agency's page of a journal in ONE statement with what it must record: the entries of the
 * groups the decision point allowed (params: their author agencies, categories and, per group, the
 * consents relied on as a uuid-array literal), the read's audit event (`audit`), and a disclosure
 * ledger row for each entry that crossed from another agency — all committed before any row
 * reaches this process. Params after the groups: case id, [the last entry seen when `keyset`],
 * limit, [offset], the audit's, subject id, the reader's agency and user, the instant, request id,
 * the reader's agency again.
 */
export const partnerEntriesPageSql = (audit: string, keyset: boolean): string => `WITH g AS (
    SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[]) AS g(a, cat, k)
  ), e AS MATERIALIZED (
    SELECT e.id, e.case_id, e.category, e.text, e.author_agency_id, e.author_user_id, e.corrects_id, e.created_at, g.k
    FROM journal_entry e JOIN g ON g.a = e.author_agency_id AND g.cat = e.category
    WHERE e.case_id = ?${keyset ? ` AND ${OLDER_THAN_ENTRY('e.case_id')}` : ''}
    ORDER BY e.created_at DESC, e.id DESC LIMIT ?${keyset ? '' : ' OFFSET ?'}
  ), audit AS (${audit}), ledger AS (
    INSERT INTO disclosure (id, case_id, subject_id, item_type, item_id, category, from_agency_id, to_agency_id, to_user_id, consent_ids, disclosed_at, request_id)
    SELECT gen_random_uuid(), e.case_id, ?::uuid, 'entry', e.id, e.category, e.author_agency_id, ?::uuid, ?::uuid, e.k::uuid[], ?::timestamptz, ?
    FROM e WHERE e.author_agency_id <> ?::uuid
  )
  SELECT coalesce(json_agg(${ENTRY_JSON} ORDER BY e.created_at DESC, e.id DESC), '[]'::json) AS items FROM e`;

/** Params: id, case id, author user, author agency, category, text, corrects. */
export const INSERT_ENTRY_SQL = `INSERT INTO journal_entry AS e (id, case_id, author_user_id, author_agency_id, category, text, corrects_id)
   VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${ENTRY_COLUMNS}`;

/**
 * ownerEntry's statement (params: case id, owner agency, entry id, author user, author agency,
 * category, text, then the audit insert's): the case locked as in any write and still the
 * owner's and not closed, the entry, and its audit event only if the entry was written.
 */
export const OWNER_ENTRY_SQL = (auditInsert: string): string => `WITH f AS (
    SELECT c.id FROM support_case c WHERE c.id = ? AND c.owner_agency_id = ? AND c.status <> 'closed' FOR SHARE OF c
  ), e AS (
    INSERT INTO journal_entry AS e (id, case_id, author_user_id, author_agency_id, category, text, corrects_id)
    SELECT ?, f.id, ?, ?, ?, ?, NULL FROM f
    RETURNING ${ENTRY_COLUMNS}
  ), audit AS (${auditInsert})
  SELECT * FROM e`;

export interface CaseListSql {
  /** One page of list rows, each as JSON in `j` (params: `params`, then limit and offset). */
  items: string;
  params: unknown[];
  /** The count stops at `cap` + 1 (a filtered list or search): more means `totalIsEstimate`. */
  capped: boolean;
  cap: number;
  /** A name search: the best plan depends on the name (see SqlOptions.planPerCall). */
  planPerCall: boolean;
  /**
   * The whole page in one statement: the page chosen on the cases (index-only for an agency's
   * plain list) as `p` (id, subject_id, created_at), `audit` (a statement with `?` placeholders
   * and its params) written from it, and one row: `total` (the number of matches; it stops at
   * `cap` + 1 when `capped`) and `rows`, the page's list rows as JSON. A capped count and the page
   * come from one scan of the matches (the first max(offset + limit, cap + 1) of them). Each row
   * is read by its own index look-up (a correlated subquery), so the plan stays right when
   * PostgreSQL caches a generic one for the prepared statement; the audit events commit with the
   * statement, before any row reaches this process.
   */
  page(limit: number, offset: number, audit: { text: string; params: readonly unknown[] }): { text: string; params: unknown[] };
  /**
   * A name search's page chosen on its own (planned per call, see `planPerCall`; a small
   * statement, so planning it is cheap): one row, `total` (stopping at `cap` + 1) and the page's
   * case ids and subjects in list order, from one scan of the first max(offset + limit, cap + 1)
   * matches. Its rows then come from `CHOSEN_PAGE_SQL`, a fixed statement whose plan is cached.
   */
  choose(limit: number, offset: number): { text: string; params: unknown[] };
}

/**
 * The rows of a page chosen by `CaseListSql.choose` (params: the case ids and their subjects as
 * uuid arrays in list order, the caller's agency, then `audit`'s): a case that is no longer the
 * agency's (moved in between) drops out, and its event with it; the audit events commit with the
 * statement.
 */
export const CHOSEN_PAGE_SQL = (audit: string): string => `WITH p AS MATERIALIZED (
    SELECT u.id, u.subject_id, u.ord FROM unnest(?::uuid[], ?::uuid[]) WITH ORDINALITY AS u(id, subject_id, ord)
    WHERE (SELECT c.owner_agency_id FROM support_case c WHERE c.id = u.id) = ?),
  audit AS (${audit})
  SELECT ${pageRowsJson('p.ord')}`;

export interface CaseListFilter {
  status?: string;
  type?: string;
  area?: string;
  agencyId?: string;
  /** Only cases this user is responsible for (owner_user_id) or deputy of ("my cases"). */
  ownerUserId?: string;
  /** An exact case number in its canonical form (`SSPF-2026-0042`). */
  caseNumber?: string;
  /** An exact, normalised personal identity number. */
  pin?: string;
  /** Up to four name parts, each matching part of the first or last name. */
  nameParts?: readonly string[];
}

/**
 * Whose cases a list shows: the owning agency's; or, for another agency, the cases it takes part
 * in that have a consent in force `at` (`today` on the Stockholm calendar) naming identity, the
 * owner and that agency — a necessary condition only: the consent gate decides each of them.
 */
export type CaseListScope = { ownerAgencyId: string } | { participantAgencyId: string; at: Date; today: string };

/** A list row (ListRow) as one JSON object. */
const LIST_JSON = `json_build_object('id', c.id, 'type', c.type, 'status', c.status, 'phase', c.phase,
          'area', CASE WHEN s.protected_identity = 'none' THEN c.area END, 'protectedIdentity', s.protected_identity <> 'none',
          'subject', json_build_object('id', s.id, 'firstName', s.first_name, 'lastName', s.last_name, 'birthDate', s.birth_date::text),
          'ownerUserId', c.owner_user_id, 'caseNumber', c.case_number, 'responsibleUserId', c.owner_user_id, 'deputyUserId', c.deputy_user_id, 'createdAt', ${ts('c.created_at')}, 'updatedAt', ${ts('c.updated_at')}, 'closedAt', ${ts('c.closed_at')},
          'ownerAgencyId', c.owner_agency_id)`;

/**
 * The list and search statements. Protected subjects' cases never match an area or agency filter
 * and show no area. Names are matched on the case's copy of its subject's `search_name`
 * (lower-cased "first last", kept by triggers; in the list index and in a trigram index): a name
 * part has no white space, so it matches there exactly when it matches the first or the last
 * name. The page is chosen on the cases (and the subject only when a filter needs it), then only
 * its rows are joined and shaped.
 */
export function caseListSql(scope: CaseListScope, f: CaseListFilter): CaseListSql {
  const where: string[] = [];
  const params: unknown[] = [];
  let from = 'support_case c';
  if ('ownerAgencyId' in scope) {
    where.push('c.owner_agency_id = ?');
    params.push(scope.ownerAgencyId);
  } else {
    from = 'case_participant cp JOIN support_case c ON c.id = cp.case_id';
    where.push(`cp.agency_id = ? AND EXISTS (SELECT 1 FROM consent k WHERE k.case_id = c.id AND k.categories @> '{identity}'
      AND k.agency_ids @> ARRAY[c.owner_agency_id, cp.agency_id] AND k.valid_from <= ?::date AND k.valid_to >= ?::date
      AND (k.withdrawn_at IS NULL OR k.withdrawn_at > ?))`);
    params.push(scope.participantAgencyId, scope.today, scope.today, scope.at);
  }
  let needsSubject = false;
  if (f.ownerUserId) {
    where.push('(c.owner_user_id = ? OR c.deputy_user_id = ?)');
    params.push(f.ownerUserId, f.ownerUserId);
  }
  if (f.caseNumber) {
    where.push('c.case_number = ?');
    params.push(f.caseNumber);
  }
  if (f.status) {
    where.push('c.status = ?');
    params.push(f.status);
  }
  if (f.type) {
    where.push('c.type = ?');
    params.push(f.type);
  }
  if (f.area !== undefined) {
    where.push("c.area = ? AND s.protected_identity = 'none'");
    params.push(f.area);
    needsSubject = true;
  }
  if (f.agencyId) {
    where.push("EXISTS (SELECT 1 FROM case_participant p WHERE p.case_id = c.id AND p.agency_id = ?) AND s.protected_identity = 'none'");
    params.push(f.agencyId);
    needsSubject = true;
  }
  if (f.pin) {
    where.push('s.personal_identity_number = ?');
    params.push(f.pin);
    needsSubject = true;
  }
  for (const part of f.nameParts ?? []) {
    where.push('c.search_name LIKE lower(?)');
    params.push(`%${likeEscape(part)}%`);
  }
  if (needsSubject) from += ' JOIN subject s ON s.id = c.subject_id';
  const cond = where.join(' AND ');
  // An owner's list filtered at most by status and type is counted exactly by the trigger-kept
  // counts (one index probe); anything else is counted up to the cap.
  const counted = 'ownerAgencyId' in scope && !needsSubject && !f.ownerUserId && !f.caseNumber && !f.nameParts?.length;
  const cap = f.nameParts?.length ? NAME_SEARCH_TOTAL_CAP : LIST_TOTAL_CAP;
  const countParams = counted
    ? [(scope as { ownerAgencyId: string }).ownerAgencyId, ...(f.status ? [f.status] : []), ...(f.type ? [f.type] : [])]
    : [];
  const items = `SELECT ${LIST_JSON} AS j
        FROM (SELECT c.id FROM ${from} WHERE ${cond} ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?) pg
        JOIN support_case c ON c.id = pg.id JOIN subject s ON s.id = c.subject_id
        ORDER BY c.created_at DESC, c.id DESC`;
  const matches = `SELECT c.id, c.subject_id, c.created_at FROM ${from} WHERE ${cond} ORDER BY c.created_at DESC, c.id DESC LIMIT ?`;
  const rowsJson = pageRowsJson('p.created_at DESC, p.id DESC');
  // A capped count and its page from one scan: the first max(offset + limit, cap + 1) matches (m), the page of them (p).
  const pageOfMatches = `WITH m AS MATERIALIZED (${matches}),
        p AS MATERIALIZED (SELECT m.id, m.subject_id, m.created_at FROM m ORDER BY m.created_at DESC, m.id DESC LIMIT ? OFFSET ?)`;
  const scanParams = (limit: number, offset: number): unknown[] => [...params, Math.max(offset + limit, cap + 1), limit, offset];
  return {
    items,
    params,
    capped: !counted,
    cap,
    planPerCall: Boolean(f.nameParts?.length),
    page: (limit, offset, audit) =>
      counted
        ? {
            text: `WITH p AS MATERIALIZED (${matches} OFFSET ?), audit AS (${audit.text})
      SELECT (SELECT coalesce(sum(k.n), 0)::int FROM case_count k WHERE k.owner_agency_id = ?${f.status ? ' AND k.status = ?' : ''}${f.type ? ' AND k.type = ?' : ''}) AS total,
        ${rowsJson}`,
            params: [...params, limit, offset, ...audit.params, ...countParams],
          }
        : {
            text: `${pageOfMatches}, audit AS (${audit.text})
      SELECT (SELECT count(*)::int FROM m) AS total,
        ${rowsJson}`,
            params: [...scanParams(limit, offset), ...audit.params],
          },
    choose: (limit, offset) => ({
      text: `${pageOfMatches}
      SELECT (SELECT count(*)::int FROM m) AS total,
        coalesce((SELECT array_agg(p.id ORDER BY p.created_at DESC, p.id DESC) FROM p), '{}') AS ids,
        coalesce((SELECT array_agg(p.subject_id ORDER BY p.created_at DESC, p.id DESC) FROM p), '{}') AS subjects`,
      params: scanParams(limit, offset),
    }),
  };
}

/** The list rows of the page `p` (id, subject_id, …) as one JSON array `rows`, each read by its own index look-up. */
function pageRowsJson(order: string): string {
  return `(SELECT coalesce(json_agg((SELECT ${LIST_JSON} FROM support_case c JOIN subject s ON s.id = c.subject_id WHERE c.id = p.id)
          ORDER BY ${order}), '[]') FROM p) AS rows`;
}

/** A PostgreSQL array literal of validated uuids (knex would expand a JS array into a list). */
export const uuidArray = (ids: readonly string[]): string => `{${ids.join(',')}}`;
/** Escapes LIKE wildcards in user input. */
const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A plan item's changes, oldest first (param: plan item id), each as PlanItemChangeOut in `j`. */
export const PLAN_ITEM_HISTORY_SQL = `SELECT json_build_object('id', h.id, 'planItemId', h.plan_item_id, 'caseId', h.case_id, 'cause', h.cause, 'fields', to_json(h.fields),
    'goalFrom', h.old_values->>'goal', 'goalTo', h.new_values->>'goal', 'actionFrom', h.old_values->>'action', 'actionTo', h.new_values->>'action',
    'responsibleAgencyIdFrom', h.old_values->>'responsibleAgencyId', 'responsibleAgencyIdTo', h.new_values->>'responsibleAgencyId',
    'dueDateFrom', h.old_values->>'dueDate', 'dueDateTo', h.new_values->>'dueDate', 'statusFrom', h.old_values->>'status', 'statusTo', h.new_values->>'status',
    'changedByUserId', h.changed_by_user_id, 'changedByName', ${userName('h.changed_by_user_id')}, 'changedByAgencyId', h.changed_by_agency_id,
    'changedAt', ${ts('h.changed_at')}) AS j
  FROM plan_item_change h WHERE h.plan_item_id = ? ORDER BY h.seq`;

/** Params: id, plan item, case, cause, fields (text[]), old values (json), new values (json), user, agency. */
export const INSERT_PLAN_ITEM_CHANGE_SQL = `INSERT INTO plan_item_change (id, plan_item_id, case_id, cause, fields, old_values, new_values, changed_by_user_id, changed_by_agency_id)
  VALUES (?, ?, ?, ?, ?::text[], ?::jsonb, ?::jsonb, ?, ?)`;

/** A case's closes and reopens, oldest first (param: case id), as CaseOutcomeEventOut. */
export const OUTCOME_HISTORY_SQL = `SELECT o.id, o.kind, o.outcome_code AS "outcomeCode", o.outcome_text AS outcome, o.reason, o.user_id AS "userId",
    ${userName('o.user_id')} AS "userName", ${ts('o.at')} AS at
  FROM case_outcome_event o WHERE o.case_id = ? ORDER BY o.seq`;

/**
 * A case's consents in force now (params: case id, today on the Stockholm calendar ×2, now):
 * what a close leaves for the caseworker to end.
 */
export const CONSENTS_IN_FORCE_SQL = `SELECT k.id, to_json(k.agency_ids) AS "agencyIds", to_json(k.categories) AS categories, k.purpose,
    k.valid_from::text AS "validFrom", k.valid_to::text AS "validTo"
  FROM consent k WHERE k.case_id = ? AND k.valid_from <= ?::date AND k.valid_to >= ?::date AND (k.withdrawn_at IS NULL OR k.withdrawn_at > ?)
  ORDER BY k.recorded_at, k.id`;
