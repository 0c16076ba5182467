import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../../db/sql.js';
import { receiptPdf, verificationCode } from '../../printouts/consent.layout.js';
import { identityNumber, isAdult, stockholmDateTime } from '../../printouts/words.sv.js';

/** What the person's printed receipt needs beyond the consent row the service already read. */
interface ReceiptFacts {
  first_name: string;
  last_name: string;
  personal_identity_number: string;
  coordination_number: boolean;
  birth_date: string;
  case_number: string | null;
  owner_agency: string;
  guardian_first_name: string | null;
  guardian_last_name: string | null;
  receipt_id: string | null;
  signature: string | null;
}

export interface CitizenReceiptConsent {
  id: string;
  case_id: string;
  subject_id: string;
  given_by_kind: 'subject' | 'guardian';
  guardian_id: string | null;
  method: string;
  purpose: string;
  valid_from: string;
  valid_to: string;
  recorded_at: string;
  withdrawn_at: string | null;
  agencies: { id: string; name: string }[];
  categories: string[];
}

/**
 * The consent receipt as a document a parent or a young person can read and keep: the same layout
 * as the one the social worker prints, saying also that it can be withdrawn in the e-service.
 * Null when the consent has no signed receipt. Only for a consent the caller already found in the
 * citizen's scope (the person and their family are who it is about).
 */
export async function citizenReceiptPdf(em: EntityManager, c: CitizenReceiptConsent): Promise<Buffer | null> {
  const [f] = await sql<ReceiptFacts>(
    em,
    `SELECT s.first_name, s.last_name, s.personal_identity_number, s.coordination_number, s.birth_date::text AS birth_date,
            sc.case_number, a.name AS owner_agency, g.first_name AS guardian_first_name, g.last_name AS guardian_last_name,
            r.id AS receipt_id, r.signature
       FROM consent c
       JOIN subject s ON s.id = c.subject_id
       JOIN support_case sc ON sc.id = c.case_id
       JOIN agency a ON a.id = sc.owner_agency_id
       LEFT JOIN guardian g ON g.id = c.guardian_id
       LEFT JOIN consent_receipt r ON r.consent_id = c.id
      WHERE c.id = ?`,
    [c.id],
  );
  if (!f?.receipt_id || !f.signature) return null;
  const name = `${f.first_name} ${f.last_name}`.trim();
  const guardian = `${f.guardian_first_name ?? ''} ${f.guardian_last_name ?? ''}`.trim();
  return receiptPdf({
    person: {
      name,
      identityNumber: identityNumber(f.personal_identity_number),
      coordinationNumber: f.coordination_number,
      adult: isAdult(f.birth_date),
    },
    caseNumber: f.case_number,
    ownerAgency: f.owner_agency,
    givenBy:
      c.given_by_kind === 'subject'
        ? { name, guardian: false }
        : { name: guardian || 'En vårdnadshavare som inte längre finns i ärendet', guardian: true },
    method: c.method,
    recordedAt: stockholmDateTime(new Date(c.recorded_at)),
    scope: {
      agencies: c.agencies.map((a) => a.name),
      categories: c.categories,
      purpose: c.purpose,
      validFrom: c.valid_from,
      validTo: c.valid_to,
    },
    withdrawnAt: c.withdrawn_at ? stockholmDateTime(new Date(c.withdrawn_at)) : null,
    receiptId: f.receipt_id,
    verificationCode: verificationCode(f.signature),
    footer: `Hämtad ${stockholmDateTime(new Date())} från Mina samtycken. Innehåller uppgifter som omfattas av sekretess.`,
    selfService: true,
  });
}
