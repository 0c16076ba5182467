/**
 * A subject's log extract as a person reads it: the sequenced events grouped per day
 * (Europe/Stockholm) × agency × action, with counts and the newest events of each group, in SQL.
 *
 * The case's own caseworker (its responsible or deputy) opening the case again and again would
 * bury every other access: their allowed reads (actions ending in `.read` or `.list`) of a case
 * they hold form groups of their own (`ownReads`, one per day, naming them), which can be left out
 * (`ownReads=hide`). "Their own" is judged by who holds the case now.
 *
 * While a protected person's agencies are held back (see audit.extract.ts) no group names an
 * agency or a user, and filtering by agency is refused: the counts per agency would tell.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import { acquireRaw } from '../../db/sql.js';
import { badRequest, conflict } from '../../lib/problem.js';
import { extractSecrecy, type ExtractSecrecy } from './audit.extract.js';
import { arrayQuery } from './audit.sql.js';
import type { ExtractGroupOut, ExtractGroupsQuery } from './audit.schemas.js';

type Group = Static<typeof ExtractGroupOut>;

export interface ExtractGroupsPage extends ExtractSecrecy {
  groups: Group[];
  /** Groups matched (all pages). */
  total: number;
  /** Events in all matched groups. */
  totalEvents: number;
  page: number;
  pageSize: number;
}

/** A read by the case's own caseworker: allowed, a read or list action, by its responsible or deputy. */
const OWN_READ = `coalesce(l.outcome = 'allowed' AND l.action ~ '[.](read|list)$'
  AND (l.actor_id = sc.owner_user_id OR l.actor_id = sc.deputy_user_id), false)`;

const EVENT_JSON = `json_build_object(
  'seq', k.seq, 'sequenced', true, 'eventId', k.event_id,
  'occurredAt', to_char(k.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'actorId', CASE WHEN $2 THEN NULL ELSE k.actor_id END, 'actorName', CASE WHEN $2 THEN NULL ELSE u.display_name END,
  'agencyId', k.agency_id, 'agencyName', a.name, 'actorRole', k.actor_role, 'action', k.action,
  'resourceType', k.resource_type, 'resourceId', k.resource_id, 'caseId', k.case_id, 'subjectId', k.subject_id,
  'outcome', k.outcome, 'reason', k.reason, 'consentIds', to_json(coalesce(k.consent_ids, '{}'::uuid[])),
  'requestId', k.request_id, 'clientIp', NULL)`;

/**
 * $1 subject, $2 held back, $3 timezone, $4 from (date), $5 to (date), $6 agency, $7 action,
 * $8 include own reads, $9 limit, $10 offset, $11 events per group.
 */
const GROUPS_SQL = `
WITH k AS (
  SELECT l.seq, l.event_id, l.occurred_at, l.actor_id, l.actor_role, l.action, l.resource_type, l.resource_id, l.case_id,
         l.subject_id, l.outcome, l.reason, l.consent_ids, l.request_id,
         (l.occurred_at AT TIME ZONE $3)::date AS day,
         CASE WHEN $2 THEN NULL ELSE l.actor_agency_id END AS agency_id,
         ${OWN_READ} AS own,
         CASE WHEN ${OWN_READ} AND NOT $2 THEN l.actor_id END AS own_actor_id
  FROM audit_log l LEFT JOIN support_case sc ON sc.id = l.case_id
  WHERE l.subject_id = $1
    AND ($4::date IS NULL OR l.occurred_at >= $4::date::timestamp AT TIME ZONE $3)
    AND ($5::date IS NULL OR l.occurred_at < ($5::date + 1)::timestamp AT TIME ZONE $3)
    AND ($6::uuid IS NULL OR l.actor_agency_id = $6::uuid)
    AND ($7::text IS NULL OR l.action = $7::text)
    AND ($8 OR NOT ${OWN_READ})
), g AS (
  SELECT day, agency_id, action, own, own_actor_id, count(*)::int AS n FROM k GROUP BY 1, 2, 3, 4, 5
), page AS (
  SELECT g.*, a.name AS agency_name, u.display_name AS actor_name FROM g
  LEFT JOIN agency a ON a.id = g.agency_id LEFT JOIN app_user u ON u.id = g.own_actor_id
  ORDER BY g.day DESC, g.own, a.name NULLS LAST, g.agency_id, g.action, u.display_name LIMIT $9 OFFSET $10
), top AS MATERIALIZED (
  -- The newest events of each group on the page, in one pass (names joined for these only).
  SELECT * FROM (
    SELECT k.*, row_number() OVER (PARTITION BY k.day, k.agency_id, k.action, k.own, k.own_actor_id ORDER BY k.seq DESC) AS rn
    FROM k WHERE EXISTS (
      SELECT 1 FROM page p WHERE p.day = k.day AND p.agency_id IS NOT DISTINCT FROM k.agency_id AND p.action = k.action
        AND p.own = k.own AND p.own_actor_id IS NOT DISTINCT FROM k.own_actor_id)
  ) x WHERE x.rn <= $11
)
SELECT (SELECT count(*)::int FROM g), (SELECT coalesce(sum(n), 0)::int FROM g),
  (SELECT json_agg(json_build_object('day', p.day::text, 'agencyId', p.agency_id, 'agencyName', p.agency_name,
            'category', p.action, 'ownReads', p.own, 'actorId', p.own_actor_id, 'actorName', p.actor_name,
            'count', p.n, 'items', rows.items)
          ORDER BY p.day DESC, p.own, p.agency_name NULLS LAST, p.agency_id, p.action, p.actor_name)
   FROM page p CROSS JOIN LATERAL (
     SELECT coalesce(json_agg(${EVENT_JSON} ORDER BY k.seq DESC), '[]'::json) AS items FROM top k
       LEFT JOIN app_user u ON u.id = k.actor_id LEFT JOIN agency a ON a.id = k.agency_id
       WHERE k.day = p.day AND k.agency_id IS NOT DISTINCT FROM p.agency_id AND k.action = p.action AND k.own = p.own
         AND k.own_actor_id IS NOT DISTINCT FROM p.own_actor_id) rows)`;

/** A subject's extract, grouped, from one snapshot (events and the secrecy decision over them agree). */
export async function extractGroups(
  em: EntityManager,
  subjectId: string,
  query: ExtractGroupsQuery,
  timezone: string,
): Promise<ExtractGroupsPage> {
  if (query.from && query.to && query.from > query.to)
    throw badRequest('The period ends before it starts: choose a `to` day on or after `from`.', 'bad_period', 'querystring/to');
  const { client, release } = await acquireRaw(em);
  const q = arrayQuery(client);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const secrecy = await extractSecrecy(q, subjectId);
      if (secrecy.agenciesHeldBack && query.agencyId)
        throw conflict(
          "This person's agencies are held back until a secrecy review releases them, so their log cannot be filtered by agency.",
          'agencies_held_back',
        );
      const [row] = await q(GROUPS_SQL, [
        subjectId,
        secrecy.agenciesHeldBack,
        timezone,
        query.from ?? null,
        query.to ?? null,
        query.agencyId ?? null,
        query.category ?? null,
        query.ownReads !== 'hide',
        query.pageSize,
        (query.page - 1) * query.pageSize,
        query.groupRows,
      ]);
      return {
        groups: (row![2] as Group[] | null) ?? [],
        total: Number(row![0]),
        totalEvents: Number(row![1]),
        page: query.page,
        pageSize: query.pageSize,
        ...secrecy,
      };
    } finally {
      await client.query('ROLLBACK').catch(() => {});
    }
  } finally {
    await release();
  }
}
