import { error } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { caseNotFound } from '$lib/server/cases';
import { pdfDownload, UUID, type ConsentFormRequest } from '$lib/server/printouts';
import type { RequestHandler } from './$types';

/**
 * The consent form to sign, pre-filled with the scope filled in on the new-consent form (posted
 * here by its "print" button, so the scope never travels in a URL). A scope the API refuses
 * answers 400: the form page says what to fix (and explains each field when it is recorded).
 */
export const POST: RequestHandler = async ({ locals, params, request }) => {
	if (!UUID.test(params.id)) caseNotFound(locals.requestId);
	const form = await request.formData();
	const text = (name: string) => String(form.get(name) ?? '').trim();
	const givenBy = text('givenBy');
	const body: ConsentFormRequest = {
		givenBy: givenBy.startsWith('guardian:') ? { kind: 'guardian', guardianId: givenBy.slice(9) } : { kind: 'subject' },
		agencyIds: form.getAll('agencyIds').map(String),
		categories: form.getAll('categories').map(String),
		purpose: text('purpose'),
		validFrom: text('validFrom'),
		validTo: text('validTo')
	};
	const refused = Symbol('refused');
	try {
		return await pdfDownload(locals.requestId, () =>
			locals.api.printouts.consentForm(params.id, body).catch((err: unknown) => {
				// A scope the API refuses is the user's to fix, not "not found".
				throw err instanceof ApiError && (err.status === 400 || err.status === 409) ? refused : err;
			})
		);
	} catch (err) {
		if (err === refused) error(400, { message: 'Bad Request', requestId: locals.requestId });
		throw err;
	}
};
