import { error } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import type { CaseDetail } from '$lib/server/cases';
import { readReceipt } from '$lib/components/consents/receipt';
import type { PageServerLoad } from './$types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A consent's signed receipt, for the owning unit (the API answers 404 to anyone else). The case is
 * read too, only to name the guardian or young person who gave the consent.
 */
export const load: PageServerLoad = async ({ locals, params }) => {
	const notFound = () => error(404, { message: 'Not Found', code: 'not_found', requestId: locals.requestId });
	if (!UUID.test(params.consentId)) notFound();
	let signed;
	try {
		signed = await locals.api.consents.receipt(params.consentId);
	} catch (err) {
		if (err instanceof ApiError && (err.status === 404 || err.status === 403 || err.status === 400)) notFound();
		throw err;
	}
	const view = readReceipt(signed.receipt);
	let subject: Pick<CaseDetail['subject'], 'firstName' | 'lastName' | 'birthDate' | 'guardians'> | null = null;
	if (UUID.test(view.caseId)) {
		try {
			const detail = await locals.api.cases.get(view.caseId);
			const { firstName, lastName, birthDate, guardians } = detail.subject;
			subject = { firstName, lastName, birthDate, guardians };
		} catch (err) {
			// The receipt stands on its own; without the case the party is named by kind only.
			if (!(err instanceof ApiError)) throw err;
		}
	}
	return {
		view,
		subject,
		receiptJson: JSON.stringify(signed.receipt, null, 2),
		signature: signed.signature,
		kid: signed.kid,
		publicKey: signed.publicKey
	};
};
