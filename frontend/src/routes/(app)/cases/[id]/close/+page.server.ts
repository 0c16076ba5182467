import { redirect } from '@sveltejs/kit';
import { apiFailure, formFailure, formValues } from '$lib/server/cases';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ parent, params }) => {
	const { canEdit } = await parent();
	// Closed already, or not the owner's to close: the overview says why.
	if (!canEdit) redirect(303, `/cases/${params.id}`);
	return {};
};

function checkOutcome(outcome: string) {
	if (!outcome) return 'cases.close.error.outcomeRequired' as const;
	if (outcome.length > 5000) return 'cases.close.error.outcomeTooLong' as const;
	return null;
}

export const actions = {
	/** Step 1: the outcome is checked and shown back for confirmation; nothing is saved yet. */
	review: async ({ request }) => {
		const values = formValues(await request.formData(), ['outcome']);
		const problem = checkOutcome(values.outcome ?? '');
		if (problem) return formFailure(400, 'review', 'cases.form.fixErrors', values, { outcome: problem });
		return { action: 'review', confirm: true, outcome: values.outcome! };
	},

	/** Back from the confirmation to the outcome, as written. */
	edit: async ({ request }) => {
		const values = formValues(await request.formData(), ['outcome']);
		return { action: 'edit', values };
	},

	/** Step 2: close the case. */
	close: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), ['outcome']);
		const problem = checkOutcome(values.outcome ?? '');
		if (problem) return formFailure(400, 'review', 'cases.form.fixErrors', values, { outcome: problem });
		try {
			await locals.api.cases.close(params.id, values.outcome!);
		} catch (err) {
			return apiFailure(err, {
				action: 'close',
				requestId: locals.requestId,
				values,
				fieldFor: (p) => (p.startsWith('outcome') ? 'outcome' : null)
			});
		}
		redirect(303, `/cases/${params.id}`);
	}
} satisfies Actions;
