import { readOrNotFound, reopenAction } from '$lib/server/cases';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 50;

/** The disclosure ledger, for the owning unit only (the API answers 404 to others, and so do we). */
export const load: PageServerLoad = async ({ locals, params, url }) => {
	const n = Number(url.searchParams.get('page'));
	const page = Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1;
	const [disclosures, consents] = await readOrNotFound(
		Promise.all([locals.api.consents.disclosures(params.id, page, PAGE_SIZE), locals.api.consents.list(params.id)]),
		locals.requestId
	);
	return { disclosures, consents };
};

export const actions = {
	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
