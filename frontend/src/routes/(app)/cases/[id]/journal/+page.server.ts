import type { MessageKey } from '$lib/i18n/messages';
import { apiFailure, formFailure, formValues, readOrNotFound, reopenAction, type EntryFilter } from '$lib/server/cases';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const FILTER_FIELDS = ['q', 'category', 'agencyId', 'authorId', 'from', 'to'] as const;

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

	/**
	 * Searches the journal (what the caller may see). A form post, not a link: the words searched
	 * for may name people, and names do not belong in URLs. Shows the newest matches.
	 */
	search: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), FILTER_FIELDS);
		const e: Record<string, MessageKey> = {};
		if (values.q && values.q.length > 200) e.q = 'cases.journal.filter.error.qTooLong';
		for (const d of ['from', 'to'] as const) if (values[d] && !DATE.test(values[d]!)) e[d] = 'cases.journal.filter.error.date';
		if (!e.from && !e.to && values.from && values.to && values.from > values.to) e.to = 'cases.problem.rangeReversed';
		if (values.agencyId && !UUID.test(values.agencyId)) e.agencyId = 'cases.problem.fieldInvalid';
		if (values.authorId && !UUID.test(values.authorId)) e.authorId = 'cases.problem.fieldInvalid';
		if (Object.keys(e).length > 0) return formFailure(400, 'search', 'cases.form.fixErrors', values, e);
		const filter: EntryFilter = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
		if (Object.keys(filter).length === 0) return { action: 'search', values, found: null };
		try {
			const found = await locals.api.cases.entries(params.id, 1, PAGE_SIZE, filter);
			return { action: 'search', values, found };
		} catch (err) {
			return apiFailure(err, {
				action: 'search',
				requestId: locals.requestId,
				values,
				// The filter's category select is `filterCategory` (the entry form has its own `category`).
				fieldFor: (p) => {
					const f = (FILTER_FIELDS as readonly string[]).find((name) => p.startsWith(name));
					return f === 'category' ? 'filterCategory' : (f ?? null);
				},
				codeField: { unknown_category: 'filterCategory', range_reversed: 'to' }
			});
		}
	},

	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
