import { isMessageKey, type MessageKey } from '../../i18n/messages';

/**
 * Why a cell of the consent matrix is open or closed, as the API's decision point words it
 * (`policy.reach`): the gate's own reasons, plus `not_named` (the author's agency is not named
 * together with the reader in the consent that opens the case) and `identity_closed` (the
 * category is open, but identity does not cross to one of the two, so it cannot open the case).
 */
export const MATRIX_REASONS = [
	'consent',
	'own_agency',
	'no_consent',
	'expired',
	'withdrawn',
	'no_required_party',
	'not_named',
	'identity_closed'
] as const;

/** The reasons tied to the consent of a named party, for which the matrix lists who is missing. */
export const PARTY_REASONS: ReadonlySet<string> = new Set(['no_consent', 'expired', 'withdrawn']);

/** The sentence for a matrix reason; a code this version does not know still gets words. */
export function matrixReasonKey(code: string): MessageKey {
	const key = `consents.matrix.reason.${code}`;
	return isMessageKey(key) ? key : 'consents.matrix.reason.unknown';
}
