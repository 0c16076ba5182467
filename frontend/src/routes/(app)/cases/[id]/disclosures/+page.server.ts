import { ApiError } from '$lib/server/api';
import { caseNotFound, reopenAction } from '$lib/server/cases';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 50;

/** The disclosure ledger, for the owning unit only (the API answers 404 to others, and so do we). */
export const load: PageServerLoad = async ({ locals, params, url }) => {
	const n = Number(url.searchParams.get('page'));
	const page = Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1;
	try {
		const [disclosures, consents] = await Promise.all([
			locals.api.consents.disclosures(params.id, page, PAGE_SIZE),
			locals.api.consents.list(params.id)
		]);
		return { disclosures, consents };
	} catch (err) {
		if (err instanceof ApiError && (err.status === 404 || err.status === 403)) caseNotFound(locals.requestId);
		throw err;
	}
};

export const actions = {
	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
