import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../db/sql.js';
import type { GateRules, Party } from '../consents/gate.js';
import { requestStatus, type AnswerDecision, type RequestState } from './request-status.js';

const ts = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A PostgreSQL array literal of validated ids or codes. */
export const pgArray = (values: readonly string[]): string => `{${values.map((v) => `"${v}"`).join(',')}}`;

export interface AnswerRow {
  kind: Party['kind'];
  guardianId: string | null;
  decision: AnswerDecision;
  answeredAt: string;
  consentId: string | null;
  reason: string | null;
}

/** A request with what its status needs (answers, the subject's birth date and guardians) and the names it shows. */
export interface RequestRow {
  id: string;
  case_id: string;
  subject_id: string;
  case_status: string;
  owner_agency_id: string;
  created_by: string;
  agency_ids: string[];
  agencies: { id: string; name: string }[];
  categories: string[];
  purpose: string;
  explanation: string | null;
  valid_from: string;
  valid_to: string;
  created_at: string;
  expires_at: string;
  cancelled_at: string | null;
  birth_date: string | null;
  first_name: string;
  guardians: { id: string; custody: boolean }[];
  answers: AnswerRow[];
}

const REQUEST_SQL = `
  SELECT r.id, r.case_id, r.subject_id, k.status AS case_status, k.owner_agency_id, r.created_by,
         r.agency_ids::text[] AS agency_ids, r.categories, r.purpose, r.explanation,
         r.valid_from::text AS valid_from, r.valid_to::text AS valid_to,
         ${ts('r.created_at')} AS created_at, ${ts('r.expires_at')} AS expires_at, ${ts('r.cancelled_at')} AS cancelled_at,
         s.birth_date::text AS birth_date, s.first_name,
         (SELECT coalesce(json_agg(json_build_object('id', a.id, 'name', a.name)), '[]'::json)
            FROM agency a WHERE a.id = ANY(r.agency_ids) OR a.id = k.owner_agency_id) AS agencies,
         (SELECT coalesce(json_agg(json_build_object('id', g.id, 'custody', g.custody) ORDER BY g.created_at, g.id), '[]'::json)
            FROM guardian g WHERE g.subject_id = r.subject_id) AS guardians,
         (SELECT coalesce(json_agg(json_build_object('kind', x.answered_by_kind, 'guardianId', x.guardian_id, 'decision', x.decision,
                   'answeredAt', ${ts('x.answered_at')}, 'consentId', x.consent_id, 'reason', x.reason) ORDER BY x.answered_at, x.id), '[]'::json)
            FROM consent_request_answer x WHERE x.request_id = r.id) AS answers
    FROM consent_request r
    JOIN support_case k ON k.id = r.case_id
    JOIN subject s ON s.id = r.subject_id`;
/** Requests matching `where` (a fixed condition on `r`), newest first, in one round trip. */
export async function requestRows(em: EntityManager, where: string, params: unknown[]): Promise<RequestRow[]> {
  return sql<RequestRow>(em, `${REQUEST_SQL} WHERE ${where} ORDER BY r.created_at DESC, r.id`, params);
}

/** The request's status at `at`, and who must answer (consent.yaml's rules, as the gate applies them). */
export function stateOf(rules: GateRules, r: RequestRow, at = new Date()): RequestState {
  return requestStatus(rules, {
    expiresAt: new Date(r.expires_at),
    cancelledAt: r.cancelled_at ? new Date(r.cancelled_at) : null,
    validTo: r.valid_to,
    subjectBirthDate: r.birth_date,
    guardians: r.guardians,
    answers: r.answers.map((a) => ({ answeredByKind: a.kind, guardianId: a.guardianId, decision: a.decision })),
    at,
  });
}
