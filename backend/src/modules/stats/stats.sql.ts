/**
 * The SQL of the group-level figures: counts only, never an id or a name. Every statement takes
 * the period as its first two parameters (first and last day, Swedish time) and answers one JSON
 * value. A case of a person with protected identity is counted with area null, wherever it is.
 */

const PERIOD = `(SELECT (?::date)::timestamp AT TIME ZONE 'Europe/Stockholm' AS t0,
    (?::date + 1)::timestamp AT TIME ZONE 'Europe/Stockholm' AS t1) p`;

const MONTH = (column: string): string => `to_char(${column} AT TIME ZONE 'Europe/Stockholm', 'YYYY-MM')`;

/**
 * Cases: opened and closed per area, type and month; active at the period's end per area and
 * type; closed by outcome code and type; and the days from a case opened in the period to its
 * first plan item (the median and how many cases it is over). A reopened case counts as active
 * (its `closed_at` is cleared), as it is today.
 */
export const CASE_FIGURES_SQL = `WITH c AS (
    SELECT CASE WHEN s.protected_identity = 'none' THEN k.area END AS area, k.id, k.type, k.created_at, k.closed_at, k.outcome_code
    FROM support_case k JOIN subject s ON s.id = k.subject_id
  ), q AS (SELECT * FROM ${PERIOD})
  SELECT json_build_object(
    'opened', (SELECT coalesce(json_agg(x), '[]') FROM (
        SELECT area, type, ${MONTH('created_at')} AS month, count(*)::int AS n FROM c, q
        WHERE created_at >= q.t0 AND created_at < q.t1 GROUP BY 1, 2, 3) x),
    'closed', (SELECT coalesce(json_agg(x), '[]') FROM (
        SELECT area, type, ${MONTH('closed_at')} AS month, count(*)::int AS n FROM c, q
        WHERE closed_at >= q.t0 AND closed_at < q.t1 GROUP BY 1, 2, 3) x),
    'active', (SELECT coalesce(json_agg(x), '[]') FROM (
        SELECT area, type, count(*)::int AS n FROM c, q
        WHERE created_at < q.t1 AND (closed_at IS NULL OR closed_at >= q.t1) GROUP BY 1, 2) x),
    'outcomes', (SELECT coalesce(json_agg(x), '[]') FROM (
        SELECT outcome_code AS code, type, count(*)::int AS n FROM c, q
        WHERE closed_at >= q.t0 AND closed_at < q.t1 GROUP BY 1, 2) x),
    'firstPlan', (SELECT json_build_object('days', percentile_cont(0.5) WITHIN GROUP (ORDER BY days), 'n', count(*)::int) FROM (
        SELECT extract(epoch FROM min(i.created_at) - c.created_at) / 86400 AS days
        FROM c JOIN plan_item i ON i.case_id = c.id, q
        WHERE c.created_at >= q.t0 AND c.created_at < q.t1 GROUP BY c.id, c.created_at) x)
  ) AS figures`;

export interface CaseFigures {
  opened: { area: string | null; type: string; month: string; n: number }[];
  closed: { area: string | null; type: string; month: string; n: number }[];
  active: { area: string | null; type: string; n: number }[];
  outcomes: { code: string | null; type: string; n: number }[];
  firstPlan: { days: number | null; n: number };
}

/** Whether the person a concern names has protected identity with any unit, or its case's subject has. */
const CONCERN_PROTECTED = `(EXISTS (SELECT 1 FROM subject x WHERE x.protected_identity <> 'none' AND CASE WHEN c.personal_identity_number IS NOT NULL
      THEN x.personal_identity_number = c.personal_identity_number
      ELSE x.birth_date = c.birth_date AND lower(x.first_name) = lower(c.first_name) AND lower(x.last_name) = lower(c.last_name) END)
    OR EXISTS (SELECT 1 FROM support_case k JOIN subject x ON x.id = k.subject_id WHERE k.id = c.case_id AND x.protected_identity <> 'none'))`;

/**
 * Concerns received in the period per area and triage decision (null: not decided yet), and the
 * median days from a concern to the case opened from it.
 */
export const CONCERN_FIGURES_SQL = `WITH q AS (SELECT * FROM ${PERIOD}),
  r AS (SELECT c.id, c.area, c.decision, c.case_id, c.created_at, ${CONCERN_PROTECTED} AS protected
    FROM concern c, q WHERE c.created_at >= q.t0 AND c.created_at < q.t1)
  SELECT json_build_object(
    'triage', (SELECT coalesce(json_agg(x), '[]') FROM (
        SELECT CASE WHEN protected THEN NULL ELSE area END AS area, decision, count(*)::int AS n FROM r GROUP BY 1, 2) x),
    'toCaseDays', (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM k.created_at - r.created_at) / 86400)
        FROM r JOIN support_case k ON k.id = r.case_id WHERE r.decision = 'open_case')
  ) AS figures`;

export interface ConcernFigures {
  triage: { area: string | null; decision: 'link' | 'open_case' | 'no_action' | null; n: number }[];
  toCaseDays: number | null;
}

/**
 * Every case now, per area, type and status (`GET /stats/groups`; `GET /stats/overview` for a
 * period ending today suppresses its active cases together with these).
 */
export const GROUP_CELLS_SQL = `SELECT CASE WHEN s.protected_identity = 'none' THEN c.area END AS area, c.type, c.status, count(*)::int AS n
  FROM support_case c JOIN subject s ON s.id = c.subject_id
  GROUP BY 1, 2, 3 ORDER BY 1 NULLS LAST, 2, 3`;
