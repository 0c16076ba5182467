import { ApiError, ApiUnavailableError } from '$lib/server/api';
import type { CaseStats } from '$lib/server/cases';
import type { PageServerLoad } from './$types';

/** Counts for the start page: the agency's cases for social workers; coordinators get a link to group figures. */
export const load: PageServerLoad = async ({ locals }) => {
	const user = locals.user;
	let caseStats: CaseStats | null = null;
	if (user?.roles.includes('social_worker') && user.agency.kind === 'social_services') {
		try {
			caseStats = await locals.api.cases.stats();
		} catch (err) {
			// The start page still works without the figures.
			if (!(err instanceof ApiError || err instanceof ApiUnavailableError)) throw err;
		}
	}
	return { caseStats, isCoordinator: user?.roles.includes('coordinator') ?? false };
};
