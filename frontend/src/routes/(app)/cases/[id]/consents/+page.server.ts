import { readOrNotFound, reopenAction } from '$lib/server/cases';
import type { Actions, PageServerLoad } from './$types';

const SAVED = { recorded: 'consents.list.recorded', withdrawn: 'consents.list.withdrawn' } as const;

/** The owning unit's consents and matrix; for anyone else the API answers 404, and so do we. */
export const load: PageServerLoad = async ({ locals, params, url }) => {
	const [consents, matrix] = await readOrNotFound(
		Promise.all([locals.api.consents.list(params.id), locals.api.consents.matrix(params.id)]),
		locals.requestId
	);
	const saved = url.searchParams.get('saved');
	return { consents, matrix, saved: saved === 'recorded' || saved === 'withdrawn' ? SAVED[saved] : null };
};

export const actions = {
	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
