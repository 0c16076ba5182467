/**
 * The admin module's SQL texts, fixed (filters are parameters that may be null), so that each is
 * one prepared statement.
 */

/** One user as the admin sees them, as JSON (alias `u`). */
const USER_JSON = `json_build_object(
  'id', u.id, 'username', u.username, 'displayName', u.display_name, 'agencyId', u.agency_id,
  'roles', u.roles, 'active', u.active, 'email', u.email, 'oidcSubject', u.oidc_subject,
  'mfaEnrolled', EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL),
  'activeSessions', (SELECT count(*) FROM user_session s
                     WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now()),
  'pendingRoleRequest', (SELECT json_build_object('id', r.id, 'rolesAfter', r.roles_after, 'requestedBy', r.requested_by)
                         FROM role_request r WHERE r.user_id = u.id AND r.status = 'pending' AND r.kind = 'roles'),
  'pendingAgencyMove', (SELECT json_build_object('id', r.id, 'agencyId', r.agency_after, 'requestedBy', r.requested_by)
                        FROM role_request r WHERE r.user_id = u.id AND r.status = 'pending' AND r.kind = 'agency_move'))`;

/** Params: q (an ILIKE pattern or null) ×3, agency id ×2, role ×2, active ×2, limit, offset. */
export const USER_PAGE = `
WITH f AS (
  SELECT u.* FROM app_user u
  WHERE (?::text IS NULL OR u.username ILIKE ?::text OR u.display_name ILIKE ?::text OR u.email ILIKE ?::text)
    AND (?::uuid IS NULL OR u.agency_id = ?::uuid)
    AND (?::text IS NULL OR ?::text = ANY (u.roles))
    AND (?::boolean IS NULL OR u.active = ?::boolean)
), p AS (
  SELECT * FROM f ORDER BY username LIMIT ? OFFSET ?
)
SELECT (SELECT count(*)::int FROM f) AS total,
       COALESCE((SELECT json_agg(${USER_JSON} ORDER BY u.username) FROM p u), '[]'::json) AS items`;

export const USER_ONE = `SELECT ${USER_JSON} AS user FROM app_user u WHERE u.id = ?`;

/** The administered fields of a user, locked for the change (the change log's "before"). */
export const USER_FOR_UPDATE = `
SELECT u.id, u.username, u.display_name AS "displayName", u.email, u.agency_id AS "agencyId",
       u.oidc_subject AS "oidcSubject", u.roles, u.active
FROM app_user u WHERE u.id = ? FOR UPDATE`;

/** Params: displayName, email given?, email, agencyId, oidcSubject given?, oidcSubject, roles, id. */
export const USER_UPDATE = `
UPDATE app_user SET
  display_name = COALESCE(?::text, display_name),
  email = CASE WHEN ?::boolean THEN ?::text ELSE email END,
  agency_id = COALESCE(?::uuid, agency_id),
  oidc_subject = CASE WHEN ?::boolean THEN ?::text ELSE oidc_subject END,
  roles = COALESCE(?::text[], roles),
  updated_at = now()
WHERE id = ?`;

export const USER_SET_ACTIVE = `
UPDATE app_user SET active = ?::boolean, deactivated_at = CASE WHEN ?::boolean THEN NULL ELSE now() END, updated_at = now()
WHERE id = ?`;

export const END_USER_SESSIONS = `
WITH ended AS (UPDATE user_session SET revoked_at = now() WHERE user_id = ? AND revoked_at IS NULL RETURNING 1)
SELECT count(*)::int AS n FROM ended`;

export const RESET_MFA = `
WITH codes AS (DELETE FROM user_recovery_code WHERE user_id = ? RETURNING 1),
     totp AS (DELETE FROM user_totp WHERE user_id = ? RETURNING confirmed_at)
SELECT EXISTS (SELECT 1 FROM totp WHERE confirmed_at IS NOT NULL) AS enrolled, (SELECT count(*)::int FROM codes) AS codes`;

export const PENDING_REQUEST_OF_USER = `
SELECT id, roles_before AS "rolesBefore", roles_after AS "rolesAfter" FROM role_request WHERE user_id = ? AND status = 'pending' AND kind = 'roles' FOR UPDATE`;

export const PENDING_MOVE_OF_USER = `
SELECT id, agency_after AS "agencyAfter" FROM role_request WHERE user_id = ? AND status = 'pending' AND kind = 'agency_move' FOR UPDATE`;

/** Params: id, user id, the user's roles, agency before, agency after, requested by. */
export const INSERT_MOVE = `
INSERT INTO role_request (id, user_id, roles_before, roles_after, kind, agency_before, agency_after, requested_by)
VALUES (?, ?, ?::text[], ?::text[], 'agency_move', ?, ?, ?)`;

export const SUPERSEDE_REQUEST = `UPDATE role_request SET status = 'superseded', decided_at = now() WHERE id = ?`;

export const INSERT_REQUEST = `
INSERT INTO role_request (id, user_id, roles_before, roles_after, requested_by) VALUES (?, ?, ?::text[], ?::text[], ?)`;

const REQUEST_JSON = `json_build_object(
  'id', r.id, 'kind', r.kind,
  'agencyBefore', (SELECT json_build_object('id', a.id, 'name', a.name) FROM agency a WHERE a.id = r.agency_before),
  'agencyAfter', (SELECT json_build_object('id', a.id, 'name', a.name) FROM agency a WHERE a.id = r.agency_after),
  'user', json_build_object('id', u.id, 'username', u.username, 'displayName', u.display_name, 'agencyId', u.agency_id),
  'rolesBefore', r.roles_before, 'rolesAfter', r.roles_after,
  'requestedBy', json_build_object('id', q.id, 'username', q.username, 'displayName', q.display_name),
  'requestedAt', r.requested_at, 'status', r.status,
  'decidedBy', CASE WHEN d.id IS NULL THEN NULL
                    ELSE json_build_object('id', d.id, 'username', d.username, 'displayName', d.display_name) END,
  'decidedAt', r.decided_at)`;
const REQUEST_FROM = `
FROM role_request r
JOIN app_user u ON u.id = r.user_id
JOIN app_user q ON q.id = r.requested_by
LEFT JOIN app_user d ON d.id = r.decided_by`;

/** Params: status or null (all) ×2, limit, offset. */
export const REQUEST_PAGE = `
WITH f AS (SELECT r.id, r.requested_at FROM role_request r WHERE ?::text IS NULL OR r.status = ?::text),
     p AS (SELECT id FROM f ORDER BY requested_at DESC, id DESC LIMIT ? OFFSET ?)
SELECT (SELECT count(*)::int FROM f) AS total,
       COALESCE((SELECT json_agg(${REQUEST_JSON} ORDER BY r.requested_at DESC, r.id DESC) ${REQUEST_FROM} WHERE r.id IN (SELECT id FROM p)),
                '[]'::json) AS items`;

export const REQUEST_ONE = `SELECT ${REQUEST_JSON} AS request ${REQUEST_FROM} WHERE r.id = ?`;

export const REQUEST_FOR_DECISION = `
SELECT r.id, r.user_id AS "userId", r.requested_by AS "requestedBy", r.status, r.roles_before AS "rolesBefore",
       r.roles_after AS "rolesAfter", u.roles AS "userRoles", r.kind, r.agency_before AS "agencyBefore",
       r.agency_after AS "agencyAfter", u.agency_id AS "userAgency"
FROM role_request r JOIN app_user u ON u.id = r.user_id WHERE r.id = ?`;

export const REQUEST_DECIDE = `UPDATE role_request SET status = ?, decided_by = ?, decided_at = now() WHERE id = ? AND status = 'pending'`;

export const SET_AGENCY = `UPDATE app_user SET agency_id = ?, updated_at = now() WHERE id = ?`;

export const SET_ROLES = `UPDATE app_user SET roles = ?::text[], updated_at = now() WHERE id = ?`;

/** An agency as the admin sees it (alias `a`). */
const AGENCY_JSON = `json_build_object(
  'id', a.id, 'name', a.name, 'kind', a.kind, 'areas', a.areas, 'active', a.active, 'localSignIn', a.local_sign_in,
  'identityProvider', (SELECT json_build_object('issuer', i.issuer, 'clientId', i.client_id, 'clientSecretRef', i.client_secret_ref,
                                                'scopes', i.scopes, 'subjectClaim', i.subject_claim, 'acrValues', i.acr_values)
                       FROM agency_idp i WHERE i.agency_id = a.id),
  'userCount', (SELECT count(*) FROM app_user u WHERE u.agency_id = a.id))`;

export const AGENCY_LIST = `SELECT COALESCE(json_agg(${AGENCY_JSON} ORDER BY a.name), '[]'::json) AS items FROM agency a`;
export const AGENCY_ONE = `SELECT ${AGENCY_JSON} AS agency FROM agency a WHERE a.id = ?`;
export const AGENCY_LOCK = `SELECT id FROM agency WHERE id = ? FOR UPDATE`;

/** Params: name, kind, areas, localSignIn, id. */
export const AGENCY_UPDATE = `
UPDATE agency SET name = COALESCE(?::text, name), kind = COALESCE(?::text, kind), areas = COALESCE(?::text[], areas),
                  local_sign_in = COALESCE(?::boolean, local_sign_in)
WHERE id = ?`;

export const AGENCY_NAME_TAKEN = `SELECT 1 AS n FROM agency WHERE lower(name) = lower(?) AND id <> ?`;

export const IDP_UPSERT = `
INSERT INTO agency_idp (agency_id, issuer, client_id, client_secret_ref, scopes, subject_claim, acr_values, updated_at)
VALUES (?, ?, ?, ?, ?::text[], ?, ?::text[], now())
ON CONFLICT (agency_id) DO UPDATE SET issuer = EXCLUDED.issuer, client_id = EXCLUDED.client_id,
  client_secret_ref = EXCLUDED.client_secret_ref, scopes = EXCLUDED.scopes, subject_claim = EXCLUDED.subject_claim,
  acr_values = EXCLUDED.acr_values, updated_at = now()`;
export const IDP_DELETE = `DELETE FROM agency_idp WHERE agency_id = ?`;

export const AGENCY_SET_ACTIVE = `
UPDATE agency SET active = ?::boolean, deactivated_at = CASE WHEN ?::boolean THEN NULL ELSE now() END WHERE id = ?`;

export const END_AGENCY_SESSIONS = `
WITH ended AS (
  UPDATE user_session s SET revoked_at = now() FROM app_user u
  WHERE u.id = s.user_id AND u.agency_id = ? AND s.revoked_at IS NULL RETURNING s.user_id
)
SELECT COALESCE(array_agg(DISTINCT user_id), '{}') AS users FROM ended`;

export const INSERT_CHANGE = `
INSERT INTO admin_change (id, actor_id, request_id, action, resource_type, resource_id, before, after)
VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb)`;

/** Params: resource id or null ×2, limit, offset. */
export const CHANGE_PAGE = `
WITH f AS (SELECT c.id, c.at FROM admin_change c WHERE ?::uuid IS NULL OR c.resource_id = ?::uuid),
     p AS (SELECT id FROM f ORDER BY at DESC, id DESC LIMIT ? OFFSET ?)
SELECT (SELECT count(*)::int FROM f) AS total,
       COALESCE((SELECT json_agg(json_build_object(
                   'id', c.id, 'at', c.at, 'action', c.action, 'resourceType', c.resource_type, 'resourceId', c.resource_id,
                   'actor', json_build_object('id', u.id, 'username', u.username, 'displayName', u.display_name),
                   'before', c.before, 'after', c.after) ORDER BY c.at DESC, c.id DESC)
                 FROM admin_change c JOIN app_user u ON u.id = c.actor_id WHERE c.id IN (SELECT id FROM p)), '[]'::json) AS items`;
