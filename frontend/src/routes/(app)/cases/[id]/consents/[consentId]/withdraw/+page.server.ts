import { redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { apiFailure, caseNotFound, formFailure, formValues, readOrNotFound, reopenAction } from '$lib/server/cases';
import { consentProblem } from '$lib/server/consents';
import type { Actions, PageServerLoad } from './$types';

/** The consent, from the case's list: the owning unit's only (else 404, as the API answers). */
export const load: PageServerLoad = async ({ locals, params }) => {
	const consents = await readOrNotFound(locals.api.consents.list(params.id), locals.requestId);
	const consent = consents.find((c) => c.id === params.consentId);
	if (!consent) caseNotFound(locals.requestId);
	return { consent };
};

function checkReason(reason: string) {
	if (!reason) return 'consents.error.reasonRequired' as const;
	if (reason.length > 2000) return 'consents.error.reasonTooLong' as const;
	return null;
}

export const actions = {
	/** Step 1: the reason is checked and shown back for confirmation; nothing is saved yet. */
	review: async ({ request }) => {
		const values = formValues(await request.formData(), ['reason']);
		const problem = checkReason(values.reason ?? '');
		if (problem) return formFailure(400, 'review', 'cases.form.fixErrors', values, { reason: problem });
		return { action: 'review', confirm: true, reason: values.reason! };
	},

	/** Back from the confirmation to the reason, as written. */
	edit: async ({ request }) => {
		const values = formValues(await request.formData(), ['reason']);
		return { action: 'edit', values };
	},

	/** Step 2: withdraw, with immediate effect. */
	withdraw: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), ['reason']);
		const problem = checkReason(values.reason ?? '');
		if (problem) return formFailure(400, 'review', 'cases.form.fixErrors', values, { reason: problem });
		try {
			await locals.api.consents.withdraw(params.consentId, values.reason!);
		} catch (err) {
			const known = err instanceof ApiError ? consentProblem(err) : null;
			if (known) return formFailure(err instanceof ApiError && err.status === 409 ? 409 : 400, 'withdraw', known.message, values);
			return apiFailure(err, {
				action: 'withdraw',
				requestId: locals.requestId,
				values,
				fieldFor: (p) => (p.startsWith('reason') ? 'reason' : null)
			});
		}
		redirect(303, `/cases/${params.id}/consents?saved=withdrawn`);
	},

	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
