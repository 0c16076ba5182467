import { redirect } from '@sveltejs/kit';
import { apiFailure, formFailure, formValues, readOrNotFound } from '$lib/server/cases';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ parent, params, locals }) => {
	const { canEdit, canReopen } = await parent();
	if (canEdit) return { closed: false, consentsInForce: [] };
	// Not the owner's to close: the overview says why.
	if (!canReopen) redirect(303, `/cases/${params.id}`);
	// Closed: the consents still in force, which closing does not end; the caseworker decides on each.
	const consents = await readOrNotFound(locals.api.consents.list(params.id), locals.requestId);
	return {
		closed: true,
		consentsInForce: consents
			.filter((c) => c.status === 'active')
			.map((c) => ({
				id: c.id,
				agencyIds: c.agencyIds,
				categories: c.categories,
				purpose: c.purpose,
				validFrom: c.validFrom,
				validTo: c.validTo
			}))
	};
};

const FIELDS = ['outcome', 'outcomeCode'] as const;

function checkOutcome(outcome: string, code: string, codes: readonly string[]) {
	const fieldErrors: Record<
		string,
		'cases.close.error.outcomeRequired' | 'cases.close.error.outcomeTooLong' | 'cases.close.error.outcomeCodeRequired'
	> = {};
	if (!outcome) fieldErrors.outcome = 'cases.close.error.outcomeRequired';
	else if (outcome.length > 5000) fieldErrors.outcome = 'cases.close.error.outcomeTooLong';
	if (!codes.includes(code)) fieldErrors.outcomeCode = 'cases.close.error.outcomeCodeRequired';
	return Object.keys(fieldErrors).length > 0 ? fieldErrors : null;
}

const outcomeCodes = async (locals: App.Locals): Promise<string[]> => (await locals.api.cases.options()).outcomes.map((o) => o.code);

export const actions = {
	/** Step 1: the outcome is checked and shown back for confirmation; nothing is saved yet. */
	review: async ({ request, locals }) => {
		const values = formValues(await request.formData(), FIELDS);
		const problems = checkOutcome(values.outcome ?? '', values.outcomeCode ?? '', await outcomeCodes(locals));
		if (problems) return formFailure(400, 'review', 'cases.form.fixErrors', values, problems);
		return { action: 'review', confirm: true, outcome: values.outcome!, outcomeCode: values.outcomeCode! };
	},

	/** Back from the confirmation to the outcome, as written. */
	edit: async ({ request }) => {
		const values = formValues(await request.formData(), FIELDS);
		return { action: 'edit', values };
	},

	/** Step 2: close the case; then the consents still in force, if any, each with a way to end it. */
	close: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), FIELDS);
		const problems = checkOutcome(values.outcome ?? '', values.outcomeCode ?? '', await outcomeCodes(locals));
		if (problems) return formFailure(400, 'review', 'cases.form.fixErrors', values, problems);
		let consentsInForce;
		try {
			({ consentsInForce } = await locals.api.cases.close(params.id, { outcome: values.outcome!, outcomeCode: values.outcomeCode! }));
		} catch (err) {
			return apiFailure(err, {
				action: 'close',
				requestId: locals.requestId,
				values,
				fieldFor: (p) => (p.startsWith('outcomeCode') ? 'outcomeCode' : p.startsWith('outcome') ? 'outcome' : null)
			});
		}
		if (consentsInForce.length === 0) redirect(303, `/cases/${params.id}`);
		return { action: 'closed', consentsInForce };
	}
} satisfies Actions;
