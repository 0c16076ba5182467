import type { SigningKey } from '../../../lib/keys.js';
import { canonicalJson, signReceipt, type ConsentReceipt, type SignedReceipt } from '../../consents/receipt.js';

/**
 * The receipt of a withdrawal the person made themselves (GDPR art. 7.3: as easy to withdraw as
 * to give, and as well evidenced). Canonical JSON signed with the same key and in the same way as
 * the consent receipt (`consents/receipt.ts`), so one check verifies both. It names the consent,
 * that consent's receipt, when, and who withdrew — the subject, or the guardian by id as the
 * consent receipt names its giver — with the e-identification the person signed in with. Never
 * the reason: that free text is for the social worker, not for a document that travels.
 */

export const WITHDRAWAL_RECEIPT_VERSION = 'samverka-withdrawal-receipt/v1';

export interface WithdrawalSource {
  withdrawalReceiptId: string;
  consentId: string;
  /** The consent receipt's id (null for a consent recorded before receipts existed). */
  consentReceiptId: string | null;
  caseId: string;
  subjectId: string;
  withdrawnAt: Date;
  withdrawnBy: { kind: 'subject' } | { kind: 'guardian'; guardianId: string };
  /** `eid:sha256:<assertion hash>;txn:<transaction>;acr:<level>`, as a digital consent's evidence. */
  evidenceRef: string;
}

export function buildWithdrawalReceipt(s: WithdrawalSource): ConsentReceipt {
  return {
    version: WITHDRAWAL_RECEIPT_VERSION,
    jurisdiction: 'SE',
    language: 'sv',
    withdrawalReceiptID: s.withdrawalReceiptId,
    consentId: s.consentId,
    consentReceiptID: s.consentReceiptId,
    caseId: s.caseId,
    piiPrincipalId: s.subjectId,
    withdrawnAt: s.withdrawnAt.toISOString(),
    withdrawalTimestamp: Math.floor(s.withdrawnAt.getTime() / 1000),
    withdrawnBy: s.withdrawnBy.kind === 'guardian' ? { kind: 'guardian', guardianId: s.withdrawnBy.guardianId } : { kind: 'subject' },
    method: { kind: 'digital', evidenceRef: s.evidenceRef },
    effect: 'Inga uppgifter delas längre med stöd av samtycket från och med withdrawnAt',
  };
}

/** The receipt, its signature and the canonical text stored in `consent_withdrawal_receipt`. */
export function signWithdrawalReceipt(key: SigningKey, s: WithdrawalSource): SignedReceipt & { canonical: string } {
  const receipt = buildWithdrawalReceipt(s);
  return { ...signReceipt(key, receipt), canonical: canonicalJson(receipt) };
}
