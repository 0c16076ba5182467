import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parsePersonalIdentityNumber } from '../../lib/personnummer.js';
import { badRequest, conflict, notFound } from '../../lib/problem.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { Decision } from '../../plugins/app/policy.js';
import { stockholmDate } from '../consents/calendar.js';
import type { Withheld } from '../consents/exchange.js';
import type { GateEvaluator } from '../consents/gate.js';
import type { Actor } from '../../types.js';
import { transaction } from '../../db/sql.js';
import { SubjectsService, sql } from '../subjects/subjects.service.js';
import { AVHOPPARE_PHASES, CASE_STATUSES, CASE_TYPES, type CaseStatus, type CaseType } from './cases.entities.js';
import { loadCaseConfig, type CaseConfig } from './cases.policy.js';
import { LIST_TOTAL_CAP, NAME_SEARCH_TOTAL_CAP } from './cases.schemas.js';
import type {
  CaseFilter, CaseListItem, CaseOptionsOut, CaseOut, CaseStatsOut, CreateCaseBody, EntryBody, EntryOut, GroupStatsOut, MeetingBody,
  MeetingOut, PageQuery, ParticipantOut, PlanItemBody, PlanItemOut, UpdateCaseBody, UpdatePlanItemBody,
} from './cases.schemas.js';

type CaseOutT = Static<typeof CaseOut>;
type EntryOutT = Static<typeof EntryOut>;
type PlanItemOutT = Static<typeof PlanItemOut>;
type MeetingOutT = Static<typeof MeetingOut>;
type ListItemT = Static<typeof CaseListItem>;
export interface PageOf<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}
export interface CasePageOf<T> extends PageOf<T> {
  totalIsEstimate: boolean;
}
/** A row of the list statement: the list item and the owning agency (for the gate, never sent). */
type ListRow = ListItemT & { ownerAgencyId: string };
const listItem = ({ ownerAgencyId: _owner, ...item }: ListRow): ListItemT => item;
/** Candidate cases a participant's list gates per round trip. */
const PARTICIPANT_BATCH = 200;

/** What access decisions and writes need to know about one case. */
export interface CaseFacts {
  id: string;
  ownerAgencyId: string;
  subjectId: string;
  status: CaseStatus;
  type: CaseType;
  participantAgencyIds: string[];
}

/** A row of caseFactsSql. */
interface FactsRow {
  owner_agency_id: string;
  subject_id: string;
  status: CaseStatus;
  type: CaseType;
  participants: string[];
}

const factsOf = (id: string, row: FactsRow): CaseFacts => ({
  id, ownerAgencyId: row.owner_agency_id, subjectId: row.subject_id, status: row.status, type: row.type, participantAgencyIds: row.participants,
});

/** The outcome of loadCaseForActor: the caller may act on this case. */
export interface CaseAccess {
  facts: CaseFacts;
  decision: Decision;
  /** Consents relied on, recorded with every audit event of the request. */
  consentIds: readonly string[];
  /** The consent gate built while checking access (another agency's user), reused by the read. */
  gate?: GateEvaluator;
}

/**
 * A further gate consulted when the decision point denies a case with `not_owner` (the consent
 * gate hooks in here): return its decision (allowing, with the consents relied on; or denying,
 * with the reason to audit), or null when it does not apply.
 */
export type CaseAccessGate = (em: EntityManager, actor: Actor, facts: CaseFacts, action: string) =>
  Promise<{ decision: Decision; consentIds: readonly string[]; gate?: GateEvaluator } | null>;

const ts = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** The display name of a staff member (the author of an item): never a subject's name. */
const userName = (col: string): string => `(SELECT u.display_name FROM app_user u WHERE u.id = ${col})`;

const PLAN_ITEM_JSON = `json_build_object(
  'id', pi.id, 'caseId', pi.case_id, 'category', pi.category, 'lifeArea', pi.life_area, 'goal', pi.goal, 'action', pi.action,
  'responsibleAgencyId', pi.responsible_agency_id, 'dueDate', pi.due_date::text, 'status', pi.status,
  'authorAgencyId', pi.author_agency_id, 'authorUserId', pi.author_user_id, 'authorName', ${userName('pi.author_user_id')}, 'createdAt', ${ts('pi.created_at')}, 'updatedAt', ${ts('pi.updated_at')},
  'followUps', (SELECT coalesce(json_agg(json_build_object('id', f.id, 'note', f.note, 'authorUserId', f.author_user_id, 'authorName', ${userName('f.author_user_id')},
      'authorAgencyId', f.author_agency_id, 'createdAt', ${ts('f.created_at')}) ORDER BY f.created_at, f.id), '[]'::json)
    FROM plan_item_follow_up f WHERE f.plan_item_id = pi.id))`;

const MEETING_JSON = `json_build_object(
  'id', m.id, 'caseId', m.case_id, 'category', m.category, 'date', m.date::text, 'agencyIds', to_json(m.agency_ids), 'people', to_json(m.people),
  'agenda', m.agenda, 'minutes', m.minutes, 'authorAgencyId', m.author_agency_id, 'authorUserId', m.author_user_id, 'authorName', ${userName('m.author_user_id')}, 'createdAt', ${ts('m.created_at')},
  'decisions', (SELECT coalesce(json_agg(json_build_object('id', d.id, 'text', d.text, 'planItemId', d.plan_item_id) ORDER BY d.position), '[]'::json)
    FROM meeting_decision d WHERE d.meeting_id = m.id))`;

const ENTRY_COLUMNS = `e.id, e.case_id AS "caseId", e.category, e.text, e.author_agency_id AS "agencyId", e.author_user_id AS "authorId", ${userName('e.author_user_id')} AS "authorName",
  e.corrects_id AS corrects, ${ts('e.created_at')} AS "createdAt"`;

const RECENT_MEETINGS = 5;

// The statements of the hot paths, exported so that the benchmark runs exactly them in pgbench.

/**
 * Facts of one case (param: case id); `lock` in writes, so that a concurrent close waits. A read
 * adds what it will show as `extra` select-list items on the case row `f` (their params come
 * first): one round trip for the access decision and the data, which is dropped if denied.
 */
export const caseFactsSql = (lock: boolean, extra = ''): string => {
  // The same text object for the same arguments (the callers pass constants): sql() finds its
  // prepared statement by the text, and a string hashes once, not at every request.
  const memo = factsSqlTexts[lock ? 1 : 0];
  let text = memo.get(extra);
  if (text === undefined) {
    text = `SELECT f.owner_agency_id, f.subject_id, f.status, f.type,
          ARRAY(SELECT p.agency_id::text FROM case_participant p WHERE p.case_id = f.id ORDER BY p.added_at) AS participants${extra ? `,\n          ${extra}` : ''}
   FROM support_case f WHERE f.id = ?${lock ? ' FOR SHARE OF f' : ''}`;
    if (memo.size < 32) memo.set(extra, text);
  }
  return text;
};
const factsSqlTexts: [Map<string, string>, Map<string, string>] = [new Map(), new Map()];

/** One case with everything shown on its page (param: case id). */
export const CASE_DETAIL_SQL = `SELECT c.id, c.type, c.status, c.phase, c.area, c.reason, c.outcome,
      c.owner_agency_id AS "ownerAgencyId", c.owner_user_id AS "ownerUserId",
      ${ts('c.created_at')} AS "createdAt", ${ts('c.updated_at')} AS "updatedAt", ${ts('c.closed_at')} AS "closedAt",
      json_build_object('id', s.id, 'personalIdentityNumber', s.personal_identity_number, 'birthDate', s.birth_date::text,
        'coordinationNumber', s.coordination_number, 'firstName', s.first_name, 'lastName', s.last_name,
        'protectedIdentity', s.protected_identity, 'phone', s.phone, 'email', s.email, 'address', s.address,
        'guardians', (SELECT coalesce(json_agg(json_build_object('id', g.id, 'firstName', g.first_name, 'lastName', g.last_name,
            'personalIdentityNumber', g.personal_identity_number, 'custody', g.custody, 'phone', g.phone, 'email', g.email,
            'address', g.address) ORDER BY g.created_at, g.id), '[]'::json) FROM guardian g WHERE g.subject_id = s.id)) AS subject,
      (SELECT coalesce(json_agg(json_build_object('agencyId', p.agency_id, 'name', a.name, 'kind', a.kind, 'addedAt', ${ts('p.added_at')})
          ORDER BY p.added_at, a.name), '[]'::json)
         FROM case_participant p JOIN agency a ON a.id = p.agency_id WHERE p.case_id = c.id) AS participants,
      (SELECT coalesce(json_agg(${PLAN_ITEM_JSON} ORDER BY pi.created_at, pi.id), '[]'::json) FROM plan_item pi WHERE pi.case_id = c.id) AS "planItems",
      (SELECT coalesce(json_agg(r.j ORDER BY r.date DESC, r.created_at DESC), '[]'::json) FROM (
         SELECT ${MEETING_JSON} AS j, m.date, m.created_at FROM meeting m WHERE m.case_id = c.id ORDER BY m.date DESC, m.created_at DESC LIMIT ${RECENT_MEETINGS}
       ) r) AS "recentMeetings"
   FROM support_case c JOIN subject s ON s.id = c.subject_id
   WHERE c.id = ?`;
/** caseFactsSql extra: the case's page (`detail`, as CASE_DETAIL_SQL shapes it; no params). */
export const CASE_DETAIL_EXTRA = `(SELECT to_json(d) FROM (${CASE_DETAIL_SQL.replace(/WHERE c\.id = \?$/, 'WHERE c.id = f.id')}) d) AS detail`;

/** A page of a case's journal, newest first. Params: case id, [allowed author agencies, their categories (pairwise) when `pairs`], limit, offset. */
export const entriesPageSql = (pairs: boolean): string =>
  `SELECT ${ENTRY_COLUMNS} FROM journal_entry e WHERE e.case_id = ?${pairs ? ' AND (e.author_agency_id, e.category) IN (SELECT * FROM unnest(?::uuid[], ?::text[]))' : ''} ORDER BY e.created_at DESC, e.id DESC LIMIT ? OFFSET ?`;
const ENTRY_JSON = `json_build_object('id', e.id, 'caseId', e.case_id, 'category', e.category, 'text', e.text, 'agencyId', e.author_agency_id,
  'authorId', e.author_user_id, 'authorName', ${userName('e.author_user_id')}, 'corrects', e.corrects_id, 'createdAt', ${ts('e.created_at')})`;
/**
 * caseFactsSql extra (params: limit, offset): how many entries each agency wrote in each category
 * (`entryGroups`: what the consent gate decides on), and the journal's page with no entry left
 * out (`entries`), which serves whenever the gate lets every group through — always for the
 * owning unit's own entries.
 */
export const ENTRIES_EXTRA = `(SELECT coalesce(json_agg(json_build_object('authorAgencyId', g.a, 'category', g.category, 'n', g.n)), '[]'::json)
     FROM (SELECT author_agency_id AS a, category, count(*)::int AS n FROM journal_entry WHERE case_id = f.id GROUP BY 1, 2) g) AS "entryGroups",
   (SELECT coalesce(json_agg(x.j ORDER BY x.created_at DESC, x.id DESC), '[]'::json)
     FROM (SELECT ${ENTRY_JSON} AS j, e.created_at, e.id FROM journal_entry e WHERE e.case_id = f.id ORDER BY e.created_at DESC, e.id DESC LIMIT ? OFFSET ?) x) AS entries`;

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
  /** Only cases whose owner_user_id is this user ("my cases"). */
  ownerUserId?: string;
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
          'ownerUserId', c.owner_user_id, 'createdAt', ${ts('c.created_at')}, 'updatedAt', ${ts('c.updated_at')}, 'closedAt', ${ts('c.closed_at')},
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
    where.push('c.owner_user_id = ?');
    params.push(f.ownerUserId);
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
  const counted = 'ownerAgencyId' in scope && !needsSubject && !f.ownerUserId && !f.nameParts?.length;
  const cap = f.nameParts?.length ? NAME_SEARCH_TOTAL_CAP : LIST_TOTAL_CAP;
  const countParams = counted ? [(scope as { ownerAgencyId: string }).ownerAgencyId, ...(f.status ? [f.status] : []), ...(f.type ? [f.type] : [])] : [];
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
    page: (limit, offset, audit) => counted
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
const uuidArray = (ids: readonly string[]): string => `{${ids.join(',')}}`;
/** Escapes LIKE wildcards in user input. */
const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

const DENIED = Symbol('denied');

/**
 * What another agency sees of the subject: never contact details or address (the subject's or the
 * guardians'), nor the guardians' personal identity numbers, nor the area of a protected person.
 */
function partnerView(c: CaseOutT): CaseOutT {
  const s = c.subject;
  return {
    ...c,
    area: s.protectedIdentity === 'none' ? c.area : null,
    subject: { ...s, phone: null, email: null, address: null, guardians: s.guardians.map((g) => ({ ...g, personalIdentityNumber: null, phone: null, email: null, address: null })) },
  };
}

export class CasesService {
  readonly config: CaseConfig;
  private readonly subjects = new SubjectsService();
  private readonly gates: CaseAccessGate[] = [];

  constructor(private readonly app: FastifyInstance) {
    this.config = loadCaseConfig(app.config.POLICIES_DIR);
  }

  /** Lets another module (the consent gate) open cases that the decision point denies as `not_owner`. */
  addAccessGate(gate: CaseAccessGate): void {
    this.gates.push(gate);
  }

  // ---- access ---------------------------------------------------------------------------

  /**
   * THE way to a case: loads its facts (locked when in a write), asks the decision point, then
   * any registered gate. A denial is audited (in `em`'s transaction, if any) and answered null;
   * a missing case is audited the same way: the caller cannot tell the two apart.
   */
  private async authorize<X extends object = object>(em: EntityManager, actor: Actor, caseId: string, action: string, ctx: AuditContext, lock: boolean,
    extra?: { select: string; params: readonly unknown[] }): Promise<(CaseAccess & { extra: X }) | null> {
    const [row] = await sql<FactsRow & X>(em,
      caseFactsSql(lock, extra?.select), [...(extra?.params ?? []), caseId]);
    const resource = { action, resourceType: 'case', resourceId: caseId } as const;
    if (!row) {
      await this.app.audit.record(em, ctx, { ...resource, outcome: 'denied', reason: 'not_found' });
      return null;
    }
    const facts = factsOf(caseId, row);
    let decision = this.app.policy.caseAccess(actor, action, facts);
    let consentIds: readonly string[] = [];
    let gate: GateEvaluator | undefined;
    if (!decision.allow && decision.reason === 'not_owner') {
      for (const g of this.gates) {
        const opened = await g(em, actor, facts, action);
        if (!opened) continue;
        ({ decision, consentIds, gate } = opened);
        if (decision.allow) break;
      }
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
  async loadCaseForActor<X extends object = object>(em: EntityManager, actor: Actor, caseId: string, action: string, ctx: AuditContext,
    extra?: { select: string; params: readonly unknown[] }): Promise<CaseAccess & { extra: X }> {
    const access = await this.authorize<X>(em, actor, caseId, action, ctx, false, extra);
    if (!access) throw notFound();
    return access;
  }

  /**
   * One write on one case: a transaction that locks the case row, checks access (a denial is
   * audited and committed on its own, then answered 404), refuses closed cases unless told
   * otherwise, runs `fn` and commits it with its audit events.
   */
  private async write<T>(em: EntityManager, actor: Actor, caseId: string, action: string, ctx: AuditContext,
    fn: (tx: EntityManager, access: CaseAccess) => Promise<T>, opts: { allowClosed?: boolean } = {}): Promise<T> {
    const result = await transaction(em, async (tx) => {
      const access = await this.authorize(tx, actor, caseId, action, ctx, true);
      if (!access) return DENIED;
      if (access.facts.status === 'closed' && !opts.allowClosed) throw conflict('The case is closed. Reopen it before changing it.', 'case_closed');
      return { value: await fn(tx, access) };
    });
    if (result === DENIED) throw notFound();
    return result.value;
  }

  private event(access: CaseAccess, action: string, resourceType: string, resourceId: string): AuditEvent {
    return { action, resourceType, resourceId, caseId: access.facts.id, subjectId: access.facts.subjectId, outcome: 'allowed', consentIds: access.consentIds };
  }

  // ---- validation helpers -----------------------------------------------------------------

  // `path` arguments are JSON pointers into the request body (or query): the field a 400 names.

  /** The configured area with this name (case-insensitive), or 400. */
  private area(name: string, path: string): string {
    const wanted = name.trim().toLocaleLowerCase('sv');
    const found = this.config.areas.areas.find((a) => a.toLocaleLowerCase('sv') === wanted);
    if (!found) throw badRequest('Unknown area: choose one of the configured areas.', 'unknown_area', path);
    return found;
  }

  private lifeArea(type: CaseType, lifeArea: string, path: string): void {
    if (!this.config.lifeAreas[type].includes(lifeArea)) throw badRequest(`Unknown life area for a ${type} case: choose one of ${this.config.lifeAreas[type].join(', ')}.`, 'unknown_life_area', path);
  }

  /** Agencies named in a plan item or meeting must be the owner or a participant of the case. */
  private caseAgency(facts: CaseFacts, agencyId: string, what: string, path: string): void {
    if (agencyId !== facts.ownerAgencyId && !facts.participantAgencyIds.includes(agencyId)) {
      throw badRequest(`The ${what} must be the owning agency or a participant of the case; add the agency as a participant first.`, 'agency_not_in_case', path);
    }
  }

  private async requireAgencies(em: EntityManager, ids: readonly string[], path: string): Promise<void> {
    if (ids.length === 0) return;
    const [row] = await sql<{ n: number }>(em, 'SELECT count(*)::int AS n FROM agency WHERE id = ANY(?::uuid[])', [uuidArray(ids)]);
    if (row!.n !== new Set(ids).size) throw badRequest('An agency does not exist; check the agency ids.', 'unknown_agency', path);
  }

  // ---- cases ----------------------------------------------------------------------------

  async createCase(em: EntityManager, actor: Actor, body: CreateCaseBody, ctx: AuditContext): Promise<CaseOutT> {
    const area = this.area(body.area, '/area');
    const subject = this.subjects.validate(body.subject);
    const agencyIds = [...new Set(body.agencyIds ?? [])];
    if (agencyIds.includes(actor.agencyId)) throw badRequest('The owning agency is not listed among the participants.', 'owner_as_participant', `/agencyIds/${agencyIds.indexOf(actor.agencyId)}`);
    return transaction(em, async (tx) => {
      await this.requireAgencies(tx, agencyIds, '/agencyIds');
      const s = await this.subjects.findOrCreate(tx, actor.agencyId, body.subject, subject);
      const id = randomUUID();
      await sql(tx,
        `INSERT INTO support_case (id, subject_id, owner_agency_id, owner_user_id, type, status, phase, area, reason)
         VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
        [id, s.subjectId, actor.agencyId, actor.id, body.type, body.type === 'avhoppare' ? 'assessment' : null, area, body.reason.trim()]);
      if (agencyIds.length > 0) {
        await sql(tx, 'INSERT INTO case_participant (case_id, agency_id, added_by_user_id) SELECT ?, unnest(?::uuid[]), ?', [id, uuidArray(agencyIds), actor.id]);
      }
      const events: AuditEvent[] = [];
      if (s.created) events.push({ action: 'subject.create', resourceType: 'subject', resourceId: s.subjectId, subjectId: s.subjectId, caseId: id, outcome: 'allowed' });
      events.push({ action: 'case.create', resourceType: 'case', resourceId: id, caseId: id, subjectId: s.subjectId, outcome: 'allowed', reason: s.created ? 'new_subject' : 'existing_subject' });
      await this.app.audit.record(tx, ctx, events);
      return (await this.caseDetail(tx, id))!;
    });
  }

  /** The whole case as stored (`withheld` empty): the owning unit's answer to its own writes. */
  private async caseDetail(em: EntityManager, caseId: string): Promise<CaseOutT | null> {
    const [row] = await sql<Omit<CaseOutT, 'withheld'>>(em, CASE_DETAIL_SQL, [caseId]);
    return row ? { ...row, withheld: [] } : null;
  }

  /**
   * One case as the caller may see it. Every item written by another agency than the caller's
   * crosses only through the consent gate (the owning unit's view of partners' items too); what
   * crossed goes into the disclosure ledger with the read's audit event, before anything is sent,
   * and what did not is counted in `withheld`.
   */
  async readCase(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<CaseOutT> {
    const access = await this.loadCaseForActor<{ detail: Omit<CaseOutT, 'withheld'> | null }>(em, actor, caseId, 'case.read', ctx, { select: CASE_DETAIL_EXTRA, params: [] });
    const { facts } = access;
    if (!access.extra.detail) throw notFound();
    let detail: CaseOutT = { ...access.extra.detail, withheld: [] };
    const authors = [facts.ownerAgencyId, ...detail.planItems.flatMap((p) => [p.authorAgencyId, ...p.followUps.map((f) => f.authorAgencyId)]), ...detail.recentMeetings.map((m) => m.authorAgencyId)];
    const x = await this.app.consents.exchange(em, actor, facts, access.gate, authors);
    if (facts.ownerAgencyId !== actor.agencyId) {
      if (!x.admit({ itemType: 'case', itemId: caseId, category: 'identity', authorAgencyId: facts.ownerAgencyId })) throw notFound();
      detail = partnerView(detail);
    }
    const view: CaseOutT = {
      ...detail,
      planItems: detail.planItems
        .filter((p) => x.admit({ itemType: 'plan_item', itemId: p.id, category: p.category, authorAgencyId: p.authorAgencyId }))
        .map((p) => ({ ...p, followUps: p.followUps.filter((f) => x.allows(f.authorAgencyId, p.category)) })),
      recentMeetings: detail.recentMeetings.filter((m) => x.admit({ itemType: 'meeting', itemId: m.id, category: m.category, authorAgencyId: m.authorAgencyId })),
    };
    await this.app.consents.recordRead(em, actor, ctx, facts, this.event(access, 'case.read', 'case', caseId), x);
    return { ...view, withheld: x.withheld };
  }

  async updateCase(em: EntityManager, actor: Actor, caseId: string, body: UpdateCaseBody, ctx: AuditContext): Promise<CaseOutT> {
    const area = body.area === undefined ? undefined : this.area(body.area, '/area');
    return this.write(em, actor, caseId, 'case.update', ctx, async (tx, access) => {
      const { facts } = access;
      if (body.phase !== undefined && facts.type !== 'avhoppare') throw badRequest('Only avhoppare cases have a phase.', 'phase_not_applicable', '/phase');
      if (body.status !== undefined && body.status !== facts.status) {
        if (body.status === 'closed') throw conflict('Close a case with POST /cases/{id}/close and an outcome.', 'use_close');
        if (!(facts.status === 'open' && body.status === 'active')) throw conflict(`A case cannot go from ${facts.status} to ${body.status}.`, 'illegal_transition');
      }
      const sets: string[] = [];
      const params: unknown[] = [];
      const set = (column: string, value: unknown): void => {
        sets.push(`${column} = ?`);
        params.push(value);
      };
      if (body.reason !== undefined) set('reason', body.reason.trim());
      if (area !== undefined) set('area', area);
      if (body.status !== undefined) set('status', body.status);
      if (body.phase !== undefined) set('phase', body.phase);
      await sql(tx, `UPDATE support_case SET ${sets.join(', ')}, updated_at = now() WHERE id = ?`, [...params, caseId]);
      await this.app.audit.record(tx, ctx, this.event(access, 'case.update', 'case', caseId));
      return (await this.caseDetail(tx, caseId))!;
    });
  }

  async closeCase(em: EntityManager, actor: Actor, caseId: string, outcome: string, ctx: AuditContext): Promise<CaseOutT> {
    return this.write(em, actor, caseId, 'case.close', ctx, async (tx, access) => {
      await sql(tx, "UPDATE support_case SET status = 'closed', outcome = ?, closed_at = now(), updated_at = now() WHERE id = ?", [outcome.trim(), caseId]);
      await this.app.audit.record(tx, ctx, this.event(access, 'case.close', 'case', caseId));
      return (await this.caseDetail(tx, caseId))!;
    });
  }

  async reopenCase(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<CaseOutT> {
    return this.write(em, actor, caseId, 'case.close', ctx, async (tx, access) => {
      if (access.facts.status !== 'closed') throw conflict('Only a closed case can be reopened.', 'illegal_transition');
      await sql(tx, "UPDATE support_case SET status = 'active', outcome = NULL, closed_at = NULL, updated_at = now() WHERE id = ?", [caseId]);
      await this.app.audit.record(tx, ctx, this.event(access, 'case.reopen', 'case', caseId));
      return (await this.caseDetail(tx, caseId))!;
    }, { allowClosed: true });
  }

  // ---- participants -----------------------------------------------------------------------

  private async participants(em: EntityManager, caseId: string): Promise<Static<typeof ParticipantOut>[]> {
    return sql(em,
      `SELECT p.agency_id AS "agencyId", a.name, a.kind, ${ts('p.added_at')} AS "addedAt"
       FROM case_participant p JOIN agency a ON a.id = p.agency_id WHERE p.case_id = ? ORDER BY p.added_at, a.name`, [caseId]);
  }

  async addParticipant(em: EntityManager, actor: Actor, caseId: string, agencyId: string, ctx: AuditContext): Promise<Static<typeof ParticipantOut>[]> {
    return this.write(em, actor, caseId, 'case.participants.write', ctx, async (tx, access) => {
      if (agencyId === access.facts.ownerAgencyId) throw badRequest('The owning agency takes part in its own case already.', 'owner_as_participant', '/agencyId');
      if (access.facts.participantAgencyIds.includes(agencyId)) throw conflict('The agency already takes part in the case.', 'already_participant');
      await this.requireAgencies(tx, [agencyId], '/agencyId');
      await sql(tx, 'INSERT INTO case_participant (case_id, agency_id, added_by_user_id) VALUES (?, ?, ?)', [caseId, agencyId, actor.id]);
      await this.app.audit.record(tx, ctx, { ...this.event(access, 'case.participant.add', 'agency', agencyId) });
      return this.participants(tx, caseId);
    });
  }

  async removeParticipant(em: EntityManager, actor: Actor, caseId: string, agencyId: string, ctx: AuditContext): Promise<void> {
    await this.write(em, actor, caseId, 'case.participants.write', ctx, async (tx, access) => {
      if (!access.facts.participantAgencyIds.includes(agencyId)) throw conflict('The agency does not take part in the case; there is nothing to remove.', 'not_participant');
      const [open] = await sql<{ n: number }>(tx,
        "SELECT count(*)::int AS n FROM plan_item WHERE case_id = ? AND responsible_agency_id = ? AND status IN ('planned','in_progress')", [caseId, agencyId]);
      if (open!.n > 0) throw conflict('The agency is responsible for plan items that are not done; give them to another agency or cancel them first.', 'agency_has_plan_items');
      await sql(tx, 'DELETE FROM case_participant WHERE case_id = ? AND agency_id = ?', [caseId, agencyId]);
      await this.app.audit.record(tx, ctx, this.event(access, 'case.participant.remove', 'agency', agencyId));
    });
  }

  // ---- journal ---------------------------------------------------------------------------

  async createEntry(em: EntityManager, actor: Actor, caseId: string, body: EntryBody, ctx: AuditContext): Promise<EntryOutT> {
    const category = this.app.policy.mayAuthorCategory(actor, body.category);
    if (category.allow && !body.corrects) {
      const written = await this.ownerEntry(em, actor, caseId, body, ctx);
      if (written) return written;
    }
    return this.write(em, actor, caseId, 'case.entry.write', ctx, async (tx, access) => {
      if (!category.allow) {
        throw category.reason === 'unknown_category'
          ? badRequest('Unknown category: choose one of the configured information categories.', 'unknown_category', '/category')
          : badRequest('Your agency cannot write entries of this category.', 'category_not_allowed', '/category');
      }
      if (body.corrects) {
        const [target] = await sql<{ author_agency_id: string }>(tx, 'SELECT author_agency_id FROM journal_entry WHERE id = ? AND case_id = ?', [body.corrects, caseId]);
        if (!target) throw badRequest('The entry to correct is not in this case.', 'corrects_not_in_case', '/corrects');
        if (target.author_agency_id !== actor.agencyId) throw badRequest('Only the agency that wrote an entry can correct it.', 'corrects_other_agency', '/corrects');
      }
      const id = randomUUID();
      const [entry] = await sql<EntryOutT>(tx, INSERT_ENTRY_SQL,
        [id, caseId, actor.id, actor.agencyId, body.category, body.text, body.corrects ?? null]);
      await this.app.audit.record(tx, ctx, this.event(access, 'entry.create', 'journal_entry', id));
      return entry!;
    });
  }

  /**
   * The common write in two round trips instead of five: the owning unit's new entry (not a
   * correction). The facts are read and the decision point decides as for any write; then ONE
   * statement locks the case, checks that what the decision relied on still holds (same owner,
   * not closed), writes the entry and its audit event, and commits them together. Anything else
   * — a denial, a closed or missing case, a case that changed in between — returns null and
   * the caller takes the general path, which answers and audits it.
   */
  private async ownerEntry(em: EntityManager, actor: Actor, caseId: string, body: EntryBody, ctx: AuditContext): Promise<EntryOutT | null> {
    if (em.getTransactionContext()) return null;
    const [row] = await sql<FactsRow>(em, caseFactsSql(false), [caseId]);
    if (!row || row.status === 'closed') return null;
    const facts = factsOf(caseId, row);
    const decision = this.app.policy.caseAccess(actor, 'case.entry.write', facts);
    if (!decision.allow || decision.reason !== 'owner') return null;
    const id = randomUUID();
    const audit = this.app.audit.insertStatement(ctx, [this.event({ facts, decision, consentIds: [] }, 'entry.create', 'journal_entry', id)], 'EXISTS (SELECT 1 FROM e)');
    const [entry] = await sql<EntryOutT>(em, OWNER_ENTRY_SQL(audit.text),
      [caseId, facts.ownerAgencyId, id, actor.id, actor.agencyId, body.category, body.text, ...audit.params]);
    return entry ?? null;
  }

  /** Journal entries the caller may see (by author agency and category, through the consent gate), newest first. */
  async listEntries(em: EntityManager, actor: Actor, caseId: string, page: PageQuery, ctx: AuditContext): Promise<PageOf<EntryOutT> & { withheld: Withheld[] }> {
    const offset = (page.page - 1) * page.pageSize;
    const access = await this.loadCaseForActor<{ entryGroups: { authorAgencyId: string; category: string; n: number }[]; entries: EntryOutT[] }>(
      em, actor, caseId, 'case.read', ctx, { select: ENTRIES_EXTRA, params: [page.pageSize, offset] });
    const groups = access.extra.entryGroups;
    const x = await this.app.consents.exchange(em, actor, access.facts, access.gate, groups.map((g) => g.authorAgencyId));
    const allowed = x.allowedGroups(groups);
    // Every group allowed: the page read with the facts is the answer; else only the allowed groups'.
    const items = allowed.length === groups.length ? access.extra.entries : allowed.length === 0 ? [] : await sql<EntryOutT>(em, entriesPageSql(true), [
      caseId, uuidArray(allowed.map((g) => g.authorAgencyId)), `{${allowed.map((g) => g.category).join(',')}}`, page.pageSize, offset]);
    for (const e of items) x.disclose({ itemType: 'entry', itemId: e.id, category: e.category, authorAgencyId: e.agencyId });
    await this.app.consents.recordRead(em, actor, ctx, access.facts, { ...this.event(access, 'entry.list', 'journal_entry', caseId), resourceId: null }, x);
    return { items, total: allowed.reduce((n, g) => n + g.n, 0), page: page.page, pageSize: page.pageSize, withheld: x.withheld };
  }

  // ---- plan ------------------------------------------------------------------------------

  private async planItem(em: EntityManager, itemId: string): Promise<PlanItemOutT> {
    const [row] = await sql<{ j: PlanItemOutT }>(em, `SELECT ${PLAN_ITEM_JSON} AS j FROM plan_item pi WHERE pi.id = ?`, [itemId]);
    return row!.j;
  }

  /** `at`: the JSON pointer of the plan item in the body ('' for the body itself). */
  private async insertPlanItem(tx: EntityManager, actor: Actor, access: CaseAccess, body: PlanItemBody, at = ''): Promise<string> {
    this.lifeArea(access.facts.type, body.lifeArea, `${at}/lifeArea`);
    this.caseAgency(access.facts, body.responsibleAgencyId, 'responsible agency', `${at}/responsibleAgencyId`);
    const id = randomUUID();
    await sql(tx,
      `INSERT INTO plan_item (id, case_id, author_user_id, author_agency_id, responsible_agency_id, life_area, goal, action, due_date, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::date, ?)`,
      [id, access.facts.id, actor.id, actor.agencyId, body.responsibleAgencyId, body.lifeArea, body.goal.trim(), body.action.trim(), body.dueDate ?? null, body.status ?? 'planned']);
    return id;
  }

  async createPlanItem(em: EntityManager, actor: Actor, caseId: string, body: PlanItemBody, ctx: AuditContext): Promise<PlanItemOutT> {
    return this.write(em, actor, caseId, 'case.plan.write', ctx, async (tx, access) => {
      const id = await this.insertPlanItem(tx, actor, access, body);
      await this.app.audit.record(tx, ctx, this.event(access, 'plan_item.create', 'plan_item', id));
      return this.planItem(tx, id);
    });
  }

  async updatePlanItem(em: EntityManager, actor: Actor, caseId: string, itemId: string, body: UpdatePlanItemBody, ctx: AuditContext): Promise<PlanItemOutT> {
    const result = await this.write(em, actor, caseId, 'case.plan.write', ctx, async (tx, access) => {
      const [item] = await sql<{ id: string }>(tx, 'SELECT id FROM plan_item WHERE id = ? AND case_id = ? FOR UPDATE', [itemId, caseId]);
      if (!item) {
        // An item of another case (or none): audited like any other refusal, answered 404.
        await this.app.audit.record(tx, ctx, { ...this.event(access, 'plan_item.update', 'plan_item', itemId), outcome: 'denied', reason: 'not_in_case' });
        return DENIED;
      }
      if (body.responsibleAgencyId !== undefined) this.caseAgency(access.facts, body.responsibleAgencyId, 'responsible agency', '/responsibleAgencyId');
      const sets: string[] = [];
      const params: unknown[] = [];
      const set = (column: string, value: unknown): void => {
        sets.push(`${column} = ?`);
        params.push(value);
      };
      if (body.goal !== undefined) set('goal', body.goal.trim());
      if (body.action !== undefined) set('action', body.action.trim());
      if (body.responsibleAgencyId !== undefined) set('responsible_agency_id', body.responsibleAgencyId);
      if (body.dueDate !== undefined) set('due_date', body.dueDate);
      if (body.status !== undefined) set('status', body.status);
      await sql(tx, `UPDATE plan_item SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = ?`, [...params, itemId]);
      if (body.followUp !== undefined) {
        await sql(tx, 'INSERT INTO plan_item_follow_up (id, plan_item_id, author_user_id, author_agency_id, note) VALUES (?, ?, ?, ?, ?)',
          [randomUUID(), itemId, actor.id, actor.agencyId, body.followUp.trim()]);
      }
      await this.app.audit.record(tx, ctx, this.event(access, 'plan_item.update', 'plan_item', itemId));
      return this.planItem(tx, itemId);
    });
    if (result === DENIED) throw notFound();
    return result;
  }

  // ---- meetings --------------------------------------------------------------------------

  async createMeeting(em: EntityManager, actor: Actor, caseId: string, body: MeetingBody, ctx: AuditContext): Promise<MeetingOutT> {
    return this.write(em, actor, caseId, 'case.meeting.write', ctx, async (tx, access) => {
      body.agencyIds.forEach((a, i) => this.caseAgency(access.facts, a, 'meeting agencies', `/agencyIds/${i}`));
      const id = randomUUID();
      await sql(tx,
        `INSERT INTO meeting (id, case_id, author_user_id, author_agency_id, date, agency_ids, people, agenda, minutes)
         VALUES (?, ?, ?, ?, ?::date, ?::uuid[], ARRAY(SELECT json_array_elements_text(?::json)), ?, ?)`,
        [id, caseId, actor.id, actor.agencyId, body.date, uuidArray(body.agencyIds), JSON.stringify((body.people ?? []).map((p) => p.trim())), body.agenda, body.minutes]);
      const events: AuditEvent[] = [this.event(access, 'meeting.create', 'meeting', id)];
      let position = 0;
      for (const d of body.decisions ?? []) {
        const planItemId = d.planItem ? await this.insertPlanItem(tx, actor, access, d.planItem, `/decisions/${position}/planItem`) : null;
        if (planItemId) events.push(this.event(access, 'plan_item.create', 'plan_item', planItemId));
        await sql(tx, 'INSERT INTO meeting_decision (id, meeting_id, position, text, plan_item_id) VALUES (?, ?, ?, ?, ?)',
          [randomUUID(), id, position++, d.text.trim(), planItemId]);
      }
      await this.app.audit.record(tx, ctx, events);
      const [row] = await sql<{ j: MeetingOutT }>(tx, `SELECT ${MEETING_JSON} AS j FROM meeting m WHERE m.id = ?`, [id]);
      return row!.j;
    });
  }

  /** Network meetings the caller may see (through the consent gate, like entries), latest first. */
  async listMeetings(em: EntityManager, actor: Actor, caseId: string, page: PageQuery, ctx: AuditContext): Promise<PageOf<MeetingOutT> & { withheld: Withheld[] }> {
    const access = await this.loadCaseForActor(em, actor, caseId, 'case.read', ctx);
    const groups = await sql<{ authorAgencyId: string; category: string; n: number }>(em,
      'SELECT author_agency_id AS "authorAgencyId", category, count(*)::int AS n FROM meeting WHERE case_id = ? GROUP BY 1, 2', [caseId]);
    const x = await this.app.consents.exchange(em, actor, access.facts, access.gate, groups.map((g) => g.authorAgencyId));
    const allowed = x.allowedGroups(groups);
    const items = allowed.length === 0 ? [] : await sql<{ j: MeetingOutT }>(em,
      `SELECT ${MEETING_JSON} AS j FROM meeting m
       WHERE m.case_id = ? AND (m.author_agency_id, m.category) IN (SELECT * FROM unnest(?::uuid[], ?::text[]))
       ORDER BY m.date DESC, m.created_at DESC LIMIT ? OFFSET ?`,
      [caseId, uuidArray(allowed.map((g) => g.authorAgencyId)), `{${allowed.map((g) => g.category).join(',')}}`, page.pageSize, (page.page - 1) * page.pageSize]);
    for (const { j } of items) x.disclose({ itemType: 'meeting', itemId: j.id, category: j.category, authorAgencyId: j.authorAgencyId });
    await this.app.consents.recordRead(em, actor, ctx, access.facts, { ...this.event(access, 'meeting.list', 'meeting', caseId), resourceId: null }, x);
    return { items: items.map((r) => r.j), total: allowed.reduce((n, g) => n + g.n, 0), page: page.page, pageSize: page.pageSize, withheld: x.withheld };
  }

  // ---- lists and figures -----------------------------------------------------------------

  /**
   * The cases the caller may list, filtered and paginated: the caller's agency's own cases, or —
   * for another agency (partners) — the cases it takes part in while the consent gate lets
   * identity cross from the owning agency to it. Protected subjects' cases never match an area
   * or agency filter and show no area: their whereabouts cannot be read off a list. Every listed
   * case is audited (who saw which person's name), never the query itself.
   */
  async listCases(em: EntityManager, actor: Actor, filter: CaseFilter, action: 'case.list' | 'case.search', ctx: AuditContext): Promise<CasePageOf<ListItemT>> {
    const scope = this.app.policy.caseAccess(actor, 'case.read', { ownerAgencyId: actor.agencyId });
    const f = this.listFilter(actor, filter);
    if (!scope.allow && scope.reason === 'not_owner') return this.participantList(em, actor, f, filter, action, ctx);
    if (!scope.allow) {
      await this.app.audit.record(em, ctx, { action, resourceType: 'case', outcome: 'allowed', reason: 'no_owned_cases' });
      return { items: [], total: 0, page: filter.page, pageSize: filter.pageSize, totalIsEstimate: false };
    }
    const stmt = caseListSql({ ownerAgencyId: actor.agencyId }, f);
    const audit = this.app.audit.perRowStatement(ctx, { action, resourceType: 'case', outcome: 'allowed' }, 'p', filter.pageSize);
    const offset = (filter.page - 1) * filter.pageSize;
    let count: number;
    let rows: ListRow[];
    if (stmt.planPerCall) {
      const c = stmt.choose(filter.pageSize, offset);
      const [head] = await sql<{ total: number; ids: string[]; subjects: string[] }>(em, c.text, c.params, { planPerCall: true });
      count = head!.total;
      rows = (await sql<{ rows: ListRow[] }>(em, CHOSEN_PAGE_SQL(audit.text), [uuidArray(head!.ids), uuidArray(head!.subjects), actor.agencyId, ...audit.params]))[0]!.rows;
    } else {
      const q = stmt.page(filter.pageSize, offset, audit);
      const [page] = await sql<{ total: number; rows: ListRow[] }>(em, q.text, q.params);
      ({ total: count, rows } = page!); // one row, whatever the page holds
    }
    const over = stmt.capped && count > stmt.cap;
    return { items: rows.map(listItem), total: over ? stmt.cap : count, page: filter.page, pageSize: filter.pageSize, totalIsEstimate: over };
  }

  /** The list filter from a request: `q` as an exact personal identity number or name parts; the area as configured. */
  private listFilter(actor: Actor, filter: CaseFilter): CaseListFilter {
    const q = filter.q?.trim();
    let pin: string | undefined;
    let nameParts: string[] | undefined;
    if (q && /^[0-9+\- ]+$/.test(q)) {
      const parsed = parsePersonalIdentityNumber(q);
      if (!parsed) throw badRequest('The search looks like a personal identity number but is not a valid one; check the digits.', 'invalid_personal_identity_number', '/q');
      pin = parsed.normalized;
    } else if (q) {
      nameParts = q.split(/\s+/).slice(0, 4);
    }
    return {
      status: filter.status, type: filter.type, agencyId: filter.agencyId, pin, nameParts,
      ...(filter.owner === 'me' ? { ownerUserId: actor.id } : {}),
      ...(filter.area !== undefined ? { area: this.area(filter.area, '/area') } : {}),
    };
  }

  /**
   * Another agency's list: candidates from SQL (participant, with a consent that may open the
   * case), in batches; each batch's gates come from one query, and the gate decides — exactly as
   * it decides a read of the case. Listing discloses the subject's identity: each listed case is
   * recorded in the disclosure ledger with the consents relied on, with the audit events.
   */
  private async participantList(em: EntityManager, actor: Actor, f: CaseListFilter, filter: CaseFilter, action: string, ctx: AuditContext): Promise<CasePageOf<ListItemT>> {
    const at = new Date();
    const stmt = caseListSql({ participantAgencyId: actor.agencyId, at, today: stockholmDate(at) }, f);
    const offset = (filter.page - 1) * filter.pageSize;
    const wanted = offset + filter.pageSize;
    const open: { row: ListRow; consentIds: readonly string[] }[] = [];
    let exhausted = false;
    for (let from = 0; !exhausted && open.length < Math.max(wanted, stmt.cap); from += PARTICIPANT_BATCH) {
      const rows = (await sql<{ j: ListRow }>(em, stmt.items, [...stmt.params, PARTICIPANT_BATCH, from], { planPerCall: stmt.planPerCall })).map((r) => r.j);
      exhausted = rows.length < PARTICIPANT_BATCH;
      const gates = await this.app.consents.gatesFor(em, rows.map((r) => ({ id: r.id, subjectId: r.subject.id })), at);
      for (const row of rows) {
        const d = gates.get(row.id)?.decide({ fromAgencyId: row.ownerAgencyId, toAgencyId: actor.agencyId, category: 'identity' });
        if (d?.allow) open.push({ row, consentIds: d.consentIds });
      }
    }
    const shown = open.slice(offset, wanted);
    const events: AuditEvent[] = shown.length > 0
      ? shown.map(({ row, consentIds }) => ({ action, resourceType: 'case', resourceId: row.id, caseId: row.id, subjectId: row.subject.id, outcome: 'allowed' as const, consentIds }))
      : [{ action, resourceType: 'case', outcome: 'allowed' }];
    await this.app.consents.recordListRead(em, actor, ctx, events, at, shown.map(({ row, consentIds }) => ({
      itemType: 'case' as const, itemId: row.id, category: 'identity', fromAgencyId: row.ownerAgencyId, consentIds, caseId: row.id, subjectId: row.subject.id,
    })));
    return { items: shown.map(({ row }) => listItem(row)), total: open.length, page: filter.page, pageSize: filter.pageSize, totalIsEstimate: !exhausted };
  }

  /** Counts of the caller's agency's cases, and of the caller's own (`mine`): no identities. */
  async agencyStats(em: EntityManager, actor: Actor, ctx: AuditContext): Promise<Static<typeof CaseStatsOut>> {
    const [rows, [mine]] = await Promise.all([
      sql<{ type: CaseType; status: CaseStatus; n: number }>(em,
        'SELECT type, status, n::int AS n FROM case_count WHERE owner_agency_id = ? AND n > 0 ORDER BY type, status', [actor.agencyId]),
      sql<{ n: number }>(em, 'SELECT count(*)::int AS n FROM support_case WHERE owner_user_id = ? AND owner_agency_id = ?', [actor.id, actor.agencyId]),
    ]);
    const byStatus = Object.fromEntries(CASE_STATUSES.map((s) => [s, 0])) as Record<CaseStatus, number>;
    const byType = Object.fromEntries(CASE_TYPES.map((t) => [t, 0])) as Record<CaseType, number>;
    for (const r of rows) {
      byStatus[r.status] += r.n;
      byType[r.type] += r.n;
    }
    await this.app.audit.record(em, ctx, { action: 'case.stats.read', resourceType: 'case_stats', outcome: 'allowed' });
    return { total: rows.reduce((n, r) => n + r.n, 0), mine: mine!.n, byStatus, byType, cells: rows.map((r) => ({ type: r.type, status: r.status, count: r.n })) };
  }

  /**
   * Group-level figures for the whole municipality: counts per area × type × status, with no
   * identities. Protected subjects' cases are counted under area null, and a cell smaller than
   * `statistics.minCellSize` (policies/areas.yaml) is suppressed.
   */
  async groupStats(em: EntityManager, ctx: AuditContext): Promise<Static<typeof GroupStatsOut>> {
    const min = this.config.areas.statistics.minCellSize;
    const rows = await sql<{ area: string | null; type: CaseType; status: CaseStatus; n: number }>(em,
      `SELECT CASE WHEN s.protected_identity = 'none' THEN c.area END AS area, c.type, c.status, count(*)::int AS n
       FROM support_case c JOIN subject s ON s.id = c.subject_id
       GROUP BY 1, 2, 3 ORDER BY 1 NULLS LAST, 2, 3`);
    await this.app.audit.record(em, ctx, { action: 'stats.groups.read', resourceType: 'case_stats', outcome: 'allowed' });
    return { minCellSize: min, cells: rows.map((r) => ({ area: r.area, type: r.type, status: r.status, count: r.n >= min ? r.n : null, suppressed: r.n < min })) };
  }

  /** Areas, life areas, categories and agencies for forms. */
  async options(em: EntityManager, actor: Actor): Promise<Static<typeof CaseOptionsOut>> {
    const agencies = await sql<{ id: string; name: string; kind: string }>(em, 'SELECT id, name, kind FROM agency ORDER BY name');
    return {
      areas: this.config.areas.areas,
      types: [...CASE_TYPES],
      phases: [...AVHOPPARE_PHASES],
      lifeAreas: this.config.lifeAreas,
      categories: Object.entries(this.app.policy.policies.categories.categories).map(([code, c]) => ({
        code, description: c.description, authors: c.authors, mine: c.authors.includes(actor.agencyKind),
      })),
      agencies,
    };
  }
}
