import { networkJson } from './cases.sql.js';

/** One agency's row of a case's network (params: case id, agency id): nothing if it is not in the case. */
export const NETWORK_ROW_SQL = `SELECT r.j AS row FROM support_case c, json_array_elements(${networkJson('c')}) r(j)
   WHERE c.id = ? AND r.j->>'agencyId' = ?`;

const kept = (column: string, field: string): string =>
  `${column} = CASE WHEN jsonb_exists((SELECT j FROM b), '${field}') THEN EXCLUDED.${column} ELSE k.${column} END`;

/**
 * Sets one agency's contact (params: the given fields as a JSON object, case id, agency id, user
 * id): a field in the object is set (null clears it), one left out is kept.
 */
export const UPSERT_CONTACT_SQL = `WITH b AS (SELECT ?::jsonb AS j)
   INSERT INTO case_contact AS k (case_id, agency_id, updated_by_user_id, contact_name, contact_role, contact_phone, contact_email)
   SELECT ?::uuid, ?::uuid, ?::uuid, b.j->>'contactName', b.j->>'contactRole', b.j->>'contactPhone', b.j->>'contactEmail' FROM b
   ON CONFLICT (case_id, agency_id) DO UPDATE SET
     ${kept('contact_name', 'contactName')}, ${kept('contact_role', 'contactRole')},
     ${kept('contact_phone', 'contactPhone')}, ${kept('contact_email', 'contactEmail')},
     updated_by_user_id = EXCLUDED.updated_by_user_id, updated_at = now()`;
