import { readOrNotFound, reopenAction } from '$lib/server/cases';
import type { DisclosurePage } from '$lib/server/consents';
import { parseLedgerFilter } from './ledger-filter';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 50;
const GROUPS_PER_PAGE = 25;
/** Rows shown inside a group; a bigger group links to all its rows. */
const GROUP_ROWS = 20;

/**
 * The disclosure ledger, for the owning unit only (the API answers 404 to others, and so do we):
 * grouped per day × recipient agency × category by default, or every row; filtered by period,
 * agency and category.
 */
export const load: PageServerLoad = async ({ locals, params, url }) => {
	const filter = parseLedgerFilter(url.searchParams);
	const valid = Object.keys(filter.errors).length === 0;
	const query = filter.api;
	// A filter that cannot be read is reported, not searched.
	const ledger: Promise<DisclosurePage | null> = !valid
		? Promise.resolve(null)
		: filter.view === 'rows'
			? locals.api.consents.ledger(params.id, { ...query, page: filter.page, pageSize: PAGE_SIZE })
			: locals.api.consents.ledger(params.id, {
					...query,
					group: 'day',
					groupRows: GROUP_ROWS,
					page: filter.page,
					pageSize: GROUPS_PER_PAGE
				});
	const [disclosures, consents] = await readOrNotFound(Promise.all([ledger, locals.api.consents.list(params.id)]), locals.requestId);
	return {
		disclosures,
		consents,
		groupRows: GROUP_ROWS,
		filter: { values: filter.values, errors: filter.errors, view: filter.view, page: filter.page, searched: valid }
	};
};

export const actions = {
	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
