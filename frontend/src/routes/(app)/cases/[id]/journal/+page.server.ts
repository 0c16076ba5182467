import type { MessageKey } from '$lib/i18n/messages';
import { apiFailure, formFailure, formValues, readOrNotFound, reopenAction } from '$lib/server/cases';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const load: PageServerLoad = async ({ locals, params, url }) => {
	const n = Number(url.searchParams.get('page'));
	const page = Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1;
	const entries = await readOrNotFound(locals.api.cases.entries(params.id, page, PAGE_SIZE), locals.requestId);
	const correct = url.searchParams.get('correct');
	return { entries, correcting: correct && UUID.test(correct) ? correct : null };
};

export const actions = {
	/** Entries are never changed: a correction is a new entry that names the one it corrects. */
	addEntry: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), ['category', 'text', 'corrects']);
		const e: Record<string, MessageKey> = {};
		if (!values.category) e.category = 'cases.journal.error.categoryRequired';
		if (!values.text) e.text = 'cases.journal.error.textRequired';
		else if (values.text.length > 20000) e.text = 'cases.journal.error.textTooLong';
		if (values.corrects && !UUID.test(values.corrects)) e.text = 'cases.problem.correctsNotInCase';
		if (Object.keys(e).length > 0) return formFailure(400, 'addEntry', 'cases.form.fixErrors', values, e);
		let entry;
		try {
			entry = await locals.api.cases.createEntry(params.id, {
				category: values.category!,
				text: values.text!,
				...(values.corrects ? { corrects: values.corrects } : {})
			});
		} catch (err) {
			return apiFailure(err, {
				action: 'addEntry',
				requestId: locals.requestId,
				values,
				fieldFor: (p) => (p.startsWith('category') ? 'category' : p.startsWith('text') ? 'text' : null),
				// A category the consents do not let cross to the owning unit (409): said on the category.
				codeField: { unknown_category: 'category', category_not_allowed: 'category', category_not_consented: 'category' }
			});
		}
		return {
			action: 'addEntry',
			saved: (values.corrects ? 'cases.journal.corrected' : 'cases.journal.saved') as MessageKey,
			itemId: entry.id
		};
	},

	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
