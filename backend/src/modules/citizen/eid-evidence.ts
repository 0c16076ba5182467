import type { CitizenActor } from './citizen.types.js';

/**
 * The evidence of the sign-in's e-identification as a digital consent (and a withdrawal receipt)
 * records it: the signed assertion's hash first, then the transaction and the level (≤ 500
 * characters, the column's limit).
 */
export function eidEvidenceRef(a: Pick<CitizenActor, 'assertionSha256' | 'transactionRef' | 'acr'>): string {
  return `eid:sha256:${a.assertionSha256};txn:${a.transactionRef};acr:${a.acr}`.slice(0, 500);
}
