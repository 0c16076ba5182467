import { redirect } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError } from '$lib/server/api';
import { apiFailure, formFailure, formValues, readOrNotFound, reopenAction } from '$lib/server/cases';
import {
	CONSENT_METHODS,
	consentFieldFor,
	consentProblem,
	MAX_VALIDITY_MONTHS,
	type ConsentMethod,
	type RecordConsentRequest
} from '$lib/server/consents';
import { readScope, stockholmToday, UUID } from '../scope-form';
import type { Actions, PageServerLoad } from './$types';

/** Who must consent today comes from the consent matrix (the API applies policies/consent.yaml). */
export const load: PageServerLoad = async ({ locals, params }) => {
	const matrix = await readOrNotFound(locals.api.consents.matrix(params.id), locals.requestId);
	return {
		required: { subjectAge: matrix.subjectAge, parties: matrix.requiredParties },
		today: stockholmToday(),
		maxMonths: MAX_VALIDITY_MONTHS
	};
};

const TEXT_FIELDS = ['givenBy', 'method', 'evidenceRef', 'witness'] as const;

export const actions = {
	record: async ({ request, locals, params }) => {
		const form = await request.formData();
		const values = formValues(form, TEXT_FIELDS);
		const e: Record<string, MessageKey> = {};
		const scope = readScope(form, values, e);
		let givenBy: RecordConsentRequest['givenBy'] | null = null;
		if (values.givenBy === 'subject') givenBy = { kind: 'subject' };
		else if (values.givenBy?.startsWith('guardian:') && UUID.test(values.givenBy.slice(9)))
			givenBy = { kind: 'guardian', guardianId: values.givenBy.slice(9) };
		else e.givenBy = 'consents.error.givenByRequired';
		const method = (CONSENT_METHODS as readonly string[]).includes(values.method ?? '') ? (values.method as ConsentMethod) : null;
		if (!method) e.method = 'consents.error.methodRequired';
		else if (method === 'oral') {
			if (!values.witness) e.witness = 'consents.error.witnessRequired';
			else if (values.witness.length > 200) e.witness = 'consents.error.tooLong';
		} else if (!values.evidenceRef) e.evidenceRef = 'consents.error.evidenceRequired';
		else if (values.evidenceRef.length > 500) e.evidenceRef = 'consents.error.tooLong';
		if (Object.keys(e).length > 0 || !givenBy || !method) return formFailure(400, 'record', 'cases.form.fixErrors', values, e);

		try {
			await locals.api.consents.record(params.id, {
				givenBy,
				...scope,
				method,
				// Only the proof the method calls for; the other field may hold text from an earlier choice.
				...(method === 'oral' ? { witness: values.witness! } : { evidenceRef: values.evidenceRef! })
			});
		} catch (err) {
			const known = err instanceof ApiError ? consentProblem(err) : null;
			if (known) {
				const status = err instanceof ApiError && err.status === 409 ? 409 : 400;
				return formFailure(status, 'record', known.message, values, known.field ? { [known.field]: known.message } : {});
			}
			return apiFailure(err, { action: 'record', requestId: locals.requestId, values, fieldFor: consentFieldFor });
		}
		redirect(303, `/cases/${params.id}/consents?saved=recorded`);
	},

	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
