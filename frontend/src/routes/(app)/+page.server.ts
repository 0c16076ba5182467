import { ApiError, ApiUnavailableError } from '$lib/server/api';
import type { CaseListItem, CaseStats } from '$lib/server/cases';
import type { ExpiringConsent } from '$lib/server/consents';
import type { PageServerLoad } from './$types';

/** Shown on the start page; the rest are a click away in the case list. */
const SHARED_PAGE_SIZE = 10;

/** The start page still works without any of its panels: an API problem leaves that panel out. */
async function optional<T>(load: () => Promise<T>): Promise<T | null> {
	try {
		return await load();
	} catch (err) {
		if (!(err instanceof ApiError || err instanceof ApiUnavailableError)) throw err;
		return null;
	}
}

/**
 * Counts of the agency's cases and consents that end soon for social workers; cases shared with
 * them for partners; coordinators get a link to group figures.
 */
export const load: PageServerLoad = async ({ locals }) => {
	const user = locals.user;
	const isSocialWorker = !!user?.roles.includes('social_worker') && user.agency.kind === 'social_services';
	const isPartner = !!user?.roles.includes('partner');
	let caseStats: CaseStats | null = null;
	let expiring: ExpiringConsent[] | null = null;
	let shared: { items: CaseListItem[]; total: number } | null = null;
	if (isSocialWorker) {
		[caseStats, expiring] = await Promise.all([optional(() => locals.api.cases.stats()), optional(() => locals.api.consents.expiring())]);
	}
	if (isPartner) {
		shared = await optional(async () => {
			const page = await locals.api.cases.search({ page: 1, pageSize: SHARED_PAGE_SIZE });
			return { items: page.items, total: page.total };
		});
	}
	return { caseStats, expiring, isSocialWorker, isPartner, shared, isCoordinator: user?.roles.includes('coordinator') ?? false };
};
