// The statements of the group level. Every answer is built as JSON by PostgreSQL (one round trip,
// no hydration) and carries no case id and no person id: observations name the recording agency only.

/** Stockholm local dates to instants: the area's weeks and filters are the municipality's. */
export const FROM_DATE = `(?::date)::timestamp AT TIME ZONE 'Europe/Stockholm'`;
export const AFTER_DATE = `((?::date) + 1)::timestamp AT TIME ZONE 'Europe/Stockholm'`;

/** One observation (`o`, with its agency `a`). */
export const OBSERVATION_JSON = `json_build_object(
  'id', o.id, 'area', o.area, 'observedAt', o.observed_at, 'place', o.place,
  'location', CASE WHEN o.latitude IS NULL THEN NULL ELSE json_build_object('latitude', o.latitude, 'longitude', o.longitude) END,
  'category', o.category, 'groupSize', o.group_size, 'ageFrom', o.age_from, 'ageTo', o.age_to,
  'description', o.description, 'agencyName', a.name, 'agencyKind', a.kind, 'recordedAt', o.created_at)`;

/** One group-level action (`g`, with its agency `ag`). */
export const ACTION_JSON = `json_build_object(
  'id', g.id, 'area', g.area, 'meetingId', g.meeting_id, 'what', g.what, 'place', g.place, 'agencyId', g.agency_id,
  'agencyName', ag.name, 'dueDate', g.due_date, 'status', g.status, 'followUp', g.follow_up, 'updatedAt', g.updated_at)`;

/** One group meeting (`m`) without its agenda. */
export const MEETING_JSON = `json_build_object(
  'id', m.id, 'area', m.area, 'date', m.date, 'status', m.status, 'notes', m.notes, 'minutes', m.minutes,
  'decisions', m.decisions, 'heldAt', m.held_at)`;

/**
 * The area's picture between two dates, as JSON: visible observations per week (Monday, Stockholm
 * time) and category, open actions, the last five meetings, the agencies working there.
 * Parameters: area, from date, to date (inclusive), area, area, area.
 */
const PICTURE_JSON = `json_build_object(
  'weeks', coalesce((
    SELECT json_agg(json_build_object('weekStart', w.week, 'category', w.category, 'count', w.n) ORDER BY w.week, w.category)
    FROM (
      SELECT date_trunc('week', o.observed_at AT TIME ZONE 'Europe/Stockholm')::date AS week, o.category, count(*)::int AS n
      FROM area_observation o
      WHERE o.area = ? AND o.hidden_at IS NULL AND o.observed_at >= ${FROM_DATE} AND o.observed_at < ${AFTER_DATE}
      GROUP BY 1, 2
    ) w), '[]'::json),
  'openActions', coalesce((
    SELECT json_agg(${ACTION_JSON} ORDER BY g.due_date, g.id)
    FROM group_action g JOIN agency ag ON ag.id = g.agency_id
    WHERE g.area = ? AND g.status = 'open'), '[]'::json),
  'meetings', coalesce((
    SELECT json_agg(${MEETING_JSON} ORDER BY m.date DESC, m.id)
    FROM (SELECT * FROM area_meeting WHERE area = ? ORDER BY date DESC, id LIMIT 5) m), '[]'::json),
  'agencies', coalesce((
    SELECT json_agg(json_build_object('id', a.id, 'name', a.name, 'kind', a.kind) ORDER BY a.name)
    FROM agency a
    WHERE ? = ANY(a.areas) AND a.active AND a.kind IN ('school', 'social_services', 'police', 'leisure')), '[]'::json)
)`;

let pictureText: { audit: string; text: string } | undefined;

/**
 * The picture in ONE statement with what it relies on and what it must record: the caller's
 * agency's areas (read fresh: an admin's change counts at once); the picture only when the area
 * is one of them — the fact the decision point's allow relied on — and then the read's audit event
 * (`audit`: `app.audit.insertStatement` on `EXISTS (SELECT 1 FROM ok)`), committed before any row
 * reaches this process. Otherwise no picture and no event: `areas` goes back to the decision
 * point, which decides and audits the denial. Parameters: agency id, area, the audit's, then
 * PICTURE_JSON's. One row: `areas`, `picture` (null when not answered).
 */
export function areaPictureSql(audit: string): string {
  if (pictureText?.audit !== audit) {
    pictureText = {
      audit,
      text: `WITH ag AS MATERIALIZED (
  SELECT coalesce((SELECT a.areas FROM agency a WHERE a.id = ?::uuid), '{}'::text[]) AS areas
), ok AS MATERIALIZED (
  SELECT 1 FROM ag WHERE ?::text = ANY(ag.areas)
), audit AS (${audit})
SELECT ag.areas, (SELECT ${PICTURE_JSON} WHERE EXISTS (SELECT 1 FROM ok)) AS picture FROM ag`,
    };
  }
  return pictureText.text;
}

/**
 * One page of an area's visible observations, newest first. Parameters: area, from date (or
 * null), to date (or null), category (or null) twice, limit, offset.
 */
export const OBSERVATIONS_SQL = `
WITH f AS (
  SELECT o.id, o.observed_at
  FROM area_observation o
  WHERE o.area = ? AND o.hidden_at IS NULL
    AND o.observed_at >= coalesce(${FROM_DATE}, '-infinity'::timestamptz)
    AND o.observed_at < coalesce(${AFTER_DATE}, 'infinity'::timestamptz)
    AND (?::text IS NULL OR o.category = ?)
), p AS (
  SELECT id FROM f ORDER BY observed_at DESC, id LIMIT ? OFFSET ?
)
SELECT (SELECT count(*)::int FROM f) AS total,
  coalesce((
    SELECT json_agg(${OBSERVATION_JSON} ORDER BY o.observed_at DESC, o.id)
    FROM area_observation o JOIN agency a ON a.id = o.agency_id
    WHERE o.id IN (SELECT id FROM p)), '[]'::json) AS items`;

/** Records one observation and answers it. */
export const INSERT_OBSERVATION_SQL = `
WITH o AS (
  INSERT INTO area_observation (id, area, observed_at, place, latitude, longitude, category, group_size, age_from, age_to,
                                description, agency_id, recorded_by)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  RETURNING *
)
SELECT ${OBSERVATION_JSON} AS observation FROM o JOIN agency a ON a.id = o.agency_id`;

/**
 * A meeting of an area with its agenda: the observations recorded after the area's previous
 * held meeting (up to this one, once held), the open actions decided elsewhere, and this
 * meeting's own actions. Parameters: id, area.
 */
export const MEETING_SQL = `
WITH m AS (SELECT * FROM area_meeting WHERE id = ? AND area = ?),
prev AS (
  SELECT max(p.held_at) AS since
  FROM area_meeting p, m
  WHERE p.area = m.area AND p.status = 'held' AND p.id <> m.id AND (m.held_at IS NULL OR p.held_at < m.held_at)
)
SELECT ${MEETING_JSON} AS meeting,
  (SELECT since FROM prev) AS since,
  coalesce((
    SELECT json_agg(${OBSERVATION_JSON} ORDER BY o.observed_at, o.id)
    FROM (
      SELECT * FROM area_observation o
      WHERE o.area = m.area AND o.hidden_at IS NULL
        AND o.created_at > coalesce((SELECT since FROM prev), '-infinity'::timestamptz)
        AND o.created_at <= coalesce(m.held_at, 'infinity'::timestamptz)
      ORDER BY o.observed_at DESC LIMIT 500
    ) o JOIN agency a ON a.id = o.agency_id), '[]'::json) AS observations,
  coalesce((
    SELECT json_agg(${ACTION_JSON} ORDER BY g.due_date, g.id)
    FROM group_action g JOIN agency ag ON ag.id = g.agency_id
    WHERE g.area = m.area AND g.status = 'open' AND g.meeting_id IS DISTINCT FROM m.id), '[]'::json) AS open_actions,
  coalesce((
    SELECT json_agg(${ACTION_JSON} ORDER BY g.created_at, g.id)
    FROM group_action g JOIN agency ag ON ag.id = g.agency_id
    WHERE g.meeting_id = m.id), '[]'::json) AS actions
FROM m`;

/** One action, answered after a write. Parameter: id. */
export const ACTION_SQL = `SELECT ${ACTION_JSON} AS action FROM group_action g JOIN agency ag ON ag.id = g.agency_id WHERE g.id = ?`;
