import { fail } from '@sveltejs/kit';
import { ApiError, ApiUnavailableError } from '$lib/server/api';
import type { Agenda, Notifications } from '$lib/server/agenda';
import type { CaseListItem, CaseStats } from '$lib/server/cases';
import type { ExpiringConsent } from '$lib/server/consents';
import type { Actions, PageServerLoad } from './$types';

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
	// The day's work (GET /me/agenda) for those who work in cases: social workers and partners.
	const hasAgenda = !!user && (user.roles.includes('social_worker') || isPartner);
	let agenda: Agenda | null = null;
	let notifications: Notifications | null = null;
	if (hasAgenda) {
		[agenda, notifications] = await Promise.all([
			optional(() => locals.api.agenda.agenda()),
			optional(() => locals.api.agenda.notifications())
		]);
	}
	return {
		caseStats,
		expiring,
		isSocialWorker,
		isPartner,
		shared,
		hasAgenda,
		agenda,
		notifications,
		isCoordinator: user?.roles.includes('coordinator') ?? false
	};
};

export const actions: Actions = {
	/** Turns the daily digest e-mail on or off. */
	digest: async ({ request, locals }) => {
		const form = await request.formData();
		const digest = form.get('digest') === 'on';
		try {
			await locals.api.agenda.setDigest(digest);
		} catch (err) {
			if (!(err instanceof ApiError || err instanceof ApiUnavailableError)) throw err;
			return fail(400, { digestFailed: true });
		}
		return { digestSaved: true };
	}
};
