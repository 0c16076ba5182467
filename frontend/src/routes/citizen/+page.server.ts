import { ApiError, ApiUnavailableError } from '$lib/server/api';
import type { PageServerLoad } from './$types';

/**
 * The start page: the sign-in button for someone signed out, the overview for someone signed in
 * (their relations, and how many consent questions wait for their answer).
 */
export const load: PageServerLoad = async ({ locals, parent, url }) => {
	const { me } = await parent();
	const signedOut = url.searchParams.get('signedOut') === '1';
	if (!me || !locals.citizen) return { waiting: 0, signedOut };
	let waiting = 0;
	if (me.relations.some((r) => r.access === 'full')) {
		try {
			const { items } = await locals.citizen.requests();
			waiting = items.filter((r) => r.canAnswer && r.myAnswer === null && r.status === 'open').length;
		} catch (e) {
			// The overview stands without the count; the questions page says what went wrong.
			if (!(e instanceof ApiError || e instanceof ApiUnavailableError)) throw e;
		}
	}
	return { waiting, signedOut };
};
