import { redirect } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError } from '$lib/server/api';
import { apiFailure, formFailure, formValues, readOrNotFound, reopenAction } from '$lib/server/cases';
import { consentFieldFor, consentProblem, MAX_VALIDITY_MONTHS } from '$lib/server/consents';
import { consentRequestProblem, REQUEST_MAX_VALID_DAYS, REQUEST_VALID_DAYS } from '$lib/server/consent-requests';
import { isDate, readScope, stockholmToday } from '../../scope-form';
import { addDays, endOfStockholmDay } from './answer-by';
import type { Actions, PageServerLoad } from './$types';

/** Who will be asked comes from the consent matrix (the API applies policies/consent.yaml by age today). */
export const load: PageServerLoad = async ({ locals, params }) => {
	const matrix = await readOrNotFound(locals.api.consents.matrix(params.id), locals.requestId);
	return {
		required: { subjectAge: matrix.subjectAge, parties: matrix.requiredParties },
		today: stockholmToday(),
		maxMonths: MAX_VALIDITY_MONTHS,
		validDays: REQUEST_VALID_DAYS,
		maxDays: REQUEST_MAX_VALID_DAYS
	};
};

export const actions = {
	create: async ({ request, locals, params }) => {
		const form = await request.formData();
		const values = formValues(form, ['explanation', 'answerBy']);
		const e: Record<string, MessageKey> = {};
		const scope = readScope(form, values, e);
		if (values.explanation!.length > 4000) e.explanation = 'consentRequests.error.explanationTooLong';
		const today = stockholmToday();
		if (values.answerBy) {
			if (!isDate(values.answerBy)) e.answerBy = 'consentRequests.error.answerByInvalid';
			else if (values.answerBy < today) e.answerBy = 'consentRequests.error.answerByPast';
			else if (values.answerBy > addDays(today, REQUEST_MAX_VALID_DAYS)) e.answerBy = 'consentRequests.error.answerByTooLate';
		}
		if (Object.keys(e).length > 0) return formFailure(400, 'create', 'cases.form.fixErrors', values, e);

		try {
			await locals.api.consents.requests.create(params.id, {
				...scope,
				...(values.explanation ? { explanation: values.explanation } : {}),
				...(values.answerBy ? { expiresAt: endOfStockholmDay(values.answerBy) } : {})
			});
		} catch (err) {
			const known = err instanceof ApiError ? (consentRequestProblem(err) ?? consentProblem(err)) : null;
			if (known) return formFailure(400, 'create', known.message, values, known.field ? { [known.field]: known.message } : {});
			return apiFailure(err, {
				action: 'create',
				requestId: locals.requestId,
				values,
				fieldFor: (p) => (p.startsWith('expiresAt') ? 'answerBy' : p.startsWith('explanation') ? 'explanation' : consentFieldFor(p))
			});
		}
		redirect(303, `/cases/${params.id}/consents?saved=requested#consent-requests-heading`);
	},

	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
