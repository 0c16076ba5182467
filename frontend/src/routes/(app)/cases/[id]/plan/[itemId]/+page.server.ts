import { readOrNotFound, reopenAction } from '$lib/server/cases';
import type { Actions, PageServerLoad } from './$types';

/** One plan action's changes: as the API answers them to this caller (an item it may not see is 404). */
export const load: PageServerLoad = async ({ locals, params, parent }) => {
	const history = await readOrNotFound(locals.api.cases.planItemHistory(params.id, params.itemId), locals.requestId);
	const { detail } = await parent();
	return { history, item: detail.planItems.find((i) => i.id === params.itemId) ?? null };
};

export const actions = {
	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
