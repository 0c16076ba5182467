/**
 * The disclosure ledger as a person reads it: rows newest first, or grouped per day (Europe/Stockholm)
 * × recipient agency × category with counts and the newest rows of each group — all in SQL, one
 * statement per answer, for one case or one subject. The recipients are named (the user's display
 * name, the agencies' names): the ledger is the owning unit's alone (`disclosure.read`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import { sql } from '../../db/sql.js';
import { badRequest } from '../../lib/problem.js';
import type { DisclosureGroupOut, DisclosureOut, DisclosurePage, DisclosureQuery } from './consents.schemas.js';

type Item = Static<typeof DisclosureOut>;
type Group = Static<typeof DisclosureGroupOut>;

/** The municipality's calendar: a ledger's days are Stockholm days. */
export const LEDGER_TIMEZONE = 'Europe/Stockholm';

/** The answer: rows, or (with `group`) groups and their newest rows. */
export type LedgerPage = Static<typeof DisclosurePage>;

/** Which disclosures: those of one case or of one subject (fixed texts, the id a parameter). */
export type LedgerScope = { caseId: string } | { subjectId: string };

const scopeOf = (s: LedgerScope, alias: string): { where: string; id: string } =>
  'caseId' in s ? { where: `${alias}.case_id = ?`, id: s.caseId } : { where: `${alias}.subject_id = ?`, id: s.subjectId };

/** One row as JSON, names joined (`u` the recipient user, `ta`/`fa` the agencies). */
const ITEM_JSON = (d: string): string => `json_build_object(
  'id', ${d}.id, 'caseId', ${d}.case_id, 'subjectId', ${d}.subject_id, 'itemType', ${d}.item_type, 'itemId', ${d}.item_id,
  'category', ${d}.category, 'fromAgencyId', ${d}.from_agency_id, 'fromAgencyName', fa.name,
  'toAgencyId', ${d}.to_agency_id, 'toAgencyName', ta.name, 'toUserId', ${d}.to_user_id, 'toUserName', u.display_name,
  'consentIds', to_json(${d}.consent_ids),
  'disclosedAt', to_char(${d}.disclosed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'day', ((${d}.disclosed_at AT TIME ZONE '${LEDGER_TIMEZONE}')::date)::text, 'requestId', ${d}.request_id)`;

const NAMES = (d: string): string => `LEFT JOIN app_user u ON u.id = ${d}.to_user_id
  LEFT JOIN agency ta ON ta.id = ${d}.to_agency_id LEFT JOIN agency fa ON fa.id = ${d}.from_agency_id`;

/** The filters as a fixed text: each one applies when its parameter is not null. Days are inclusive. */
const FILTERS = `(?::date IS NULL OR d.disclosed_at >= (?::date)::timestamp AT TIME ZONE '${LEDGER_TIMEZONE}')
  AND (?::date IS NULL OR d.disclosed_at < (?::date + 1)::timestamp AT TIME ZONE '${LEDGER_TIMEZONE}')
  AND (?::uuid IS NULL OR d.to_agency_id = ?::uuid) AND (?::text IS NULL OR d.category = ?::text)`;

function filterParams(q: DisclosureQuery): unknown[] {
  const from = q.from ?? null;
  const to = q.to ?? null;
  const agency = q.agencyId ?? null;
  const category = q.category ?? null;
  return [from, from, to, to, agency, agency, category, category];
}

/** 400 for a filter that cannot match by construction: a period backwards, a category the policies do not know. */
export function checkLedgerQuery(q: DisclosureQuery, categories: readonly string[]): void {
  if (q.from && q.to && q.from > q.to)
    throw badRequest('The period ends before it starts: choose a `to` day on or after `from`.', 'bad_period', 'querystring/to');
  if (q.category && !categories.includes(q.category))
    throw badRequest(
      'There is no such information category. Choose one of the categories the ledger lists.',
      'unknown_category',
      'querystring/category',
    );
}

/** A page of rows, newest first. */
export async function ledgerRows(em: EntityManager, scope: LedgerScope, q: DisclosureQuery): Promise<LedgerPage> {
  const s = scopeOf(scope, 'd');
  const [row] = await sql<{ total: number; items: Item[] }>(
    em,
    `SELECT (SELECT count(*)::int FROM disclosure d WHERE ${s.where} AND ${FILTERS}) AS total,
       (SELECT coalesce(json_agg(${ITEM_JSON('d')} ORDER BY d.disclosed_at DESC, d.id), '[]'::json) FROM (
          SELECT d.* FROM disclosure d WHERE ${s.where} AND ${FILTERS} ORDER BY d.disclosed_at DESC, d.id LIMIT ? OFFSET ?
        ) d ${NAMES('d')}) AS items`,
    [s.id, ...filterParams(q), s.id, ...filterParams(q), q.pageSize, (q.page - 1) * q.pageSize],
  );
  return { items: row!.items, total: row!.total, page: q.page, pageSize: q.pageSize };
}

/**
 * A page of groups (day × recipient agency × category), newest day first, each with its count and
 * up to `groupRows` of its rows (newest first). `total` counts groups, `totalRows` the rows in all.
 */
export async function ledgerGroups(em: EntityManager, scope: LedgerScope, q: DisclosureQuery): Promise<LedgerPage> {
  const s = scopeOf(scope, 'd');
  const inner = scopeOf(scope, 'r');
  const [row] = await sql<{ total: number; total_rows: number; groups: Group[] | null }>(
    em,
    `WITH g AS (
       SELECT (d.disclosed_at AT TIME ZONE '${LEDGER_TIMEZONE}')::date AS day, d.to_agency_id, d.category, count(*)::int AS n
       FROM disclosure d WHERE ${s.where} AND ${FILTERS} GROUP BY 1, 2, 3
     ), page AS (
       SELECT g.*, a.name AS agency_name FROM g LEFT JOIN agency a ON a.id = g.to_agency_id
       ORDER BY g.day DESC, a.name, g.to_agency_id, g.category LIMIT ? OFFSET ?
     )
     SELECT (SELECT count(*)::int FROM g) AS total, (SELECT coalesce(sum(n), 0)::int FROM g) AS total_rows,
       (SELECT json_agg(json_build_object('day', p.day::text, 'agencyId', p.to_agency_id, 'agencyName', p.agency_name,
                 'category', p.category, 'count', p.n, 'items', rows.items)
               ORDER BY p.day DESC, p.agency_name, p.to_agency_id, p.category)
        FROM page p CROSS JOIN LATERAL (
          SELECT coalesce(json_agg(${ITEM_JSON('r')} ORDER BY r.disclosed_at DESC, r.id), '[]'::json) AS items FROM (
            SELECT r.* FROM disclosure r
            WHERE ${inner.where} AND r.to_agency_id = p.to_agency_id AND r.category = p.category
              AND r.disclosed_at >= p.day::timestamp AT TIME ZONE '${LEDGER_TIMEZONE}'
              AND r.disclosed_at < (p.day + 1)::timestamp AT TIME ZONE '${LEDGER_TIMEZONE}'
            ORDER BY r.disclosed_at DESC, r.id LIMIT ?
          ) r ${NAMES('r')}) rows) AS groups`,
    [s.id, ...filterParams(q), q.pageSize, (q.page - 1) * q.pageSize, inner.id, q.groupRows],
  );
  return {
    items: [],
    groups: row!.groups ?? [],
    total: row!.total,
    totalRows: row!.total_rows,
    page: q.page,
    pageSize: q.pageSize,
  };
}
