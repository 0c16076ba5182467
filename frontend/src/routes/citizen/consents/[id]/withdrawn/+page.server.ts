import { signedIn, notFound } from '../../../guard';
import { findConsent } from '../consent';
import type { PageServerLoad } from './$types';

/** The third step of a withdrawal: done, and the receipt of it to keep. */
export const load: PageServerLoad = async ({ locals, parent, params }) => {
	const { me: current } = await parent();
	const { api, me } = signedIn(locals, current);
	const found = await findConsent(api, me, locals, params.id, `/citizen/consents/${params.id}/withdrawn`);
	if (found.consent.status !== 'withdrawn') notFound(locals);
	return found;
};
