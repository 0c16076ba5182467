import type { GateConsent, GateFacts } from './gate.js';

/** What the gate needs about a case, as SQL returns it (GATE_FACTS_JSON). */
export interface GateFactsRow {
  birthDate: string | null;
  guardians: { id: string; custody: boolean }[];
  consents: {
    id: string;
    kind: 'subject' | 'guardian';
    guardianId: string | null;
    agencyIds: string[];
    categories: string[];
    validFrom: string;
    validTo: string;
    withdrawnAt: string | null;
  }[];
}

/**
 * The gate's facts about one case as one JSON value (the subject's birth date, its guardians, the
 * case's consents), for `caseCol` and `subjectCol` of the surrounding statement: so that the
 * access check of another agency's read gets them in the same round trip as the case.
 */
export const GATE_FACTS_JSON = (caseCol: string, subjectCol: string): string => `(SELECT json_build_object(
    'birthDate', s.birth_date::text,
    'guardians', (SELECT coalesce(json_agg(json_build_object('id', g.id, 'custody', g.custody) ORDER BY g.created_at, g.id), '[]'::json) FROM guardian g WHERE g.subject_id = s.id),
    'consents', (SELECT coalesce(json_agg(json_build_object('id', c.id, 'kind', c.given_by_kind, 'guardianId', c.guardian_id, 'agencyIds', c.agency_ids,
        'categories', c.categories, 'validFrom', c.valid_from::text, 'validTo', c.valid_to::text,
        'withdrawnAt', to_char(c.withdrawn_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))), '[]'::json)
      FROM consent c WHERE c.case_id = ${caseCol}))
  FROM subject s WHERE s.id = ${subjectCol})`;

export function gateFactsOf(row: GateFactsRow | null | undefined): Omit<GateFacts, 'at'> {
  if (!row) return { subjectBirthDate: null, guardians: [], consents: [] };
  const consents: GateConsent[] = row.consents.map((c) => ({
    id: c.id,
    givenBy: c.kind === 'guardian' ? { kind: 'guardian', guardianId: c.guardianId! } : { kind: 'subject' },
    agencyIds: c.agencyIds,
    categories: c.categories,
    validFrom: c.validFrom,
    validTo: c.validTo,
    withdrawnAt: c.withdrawnAt ? new Date(c.withdrawnAt) : null,
  }));
  return { subjectBirthDate: row.birthDate, guardians: row.guardians, consents };
}
