import { redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { apiFailure, CASE_STATUSES, CASE_TYPES, formFailure, formValues, type CaseFilter, type CaseListPage } from '$lib/server/cases';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FILTERS = ['status', 'type', 'area', 'agency', 'scope'] as const;

interface Filters {
	status: string;
	type: string;
	area: string;
	agency: string;
	/** '' ("Mina ärenden": responsible or deputy, a caseworker's default) or 'all' (the unit's cases). */
	scope: string;
}

/** Only known values reach the API; anything else in the URL is ignored rather than an error. */
function cleanFilters(raw: Record<string, string | null>, areas: readonly string[]): Filters {
	const status = raw.status ?? '';
	const type = raw.type ?? '';
	const area = raw.area ?? '';
	const agency = raw.agency ?? '';
	return {
		status: (CASE_STATUSES as readonly string[]).includes(status) ? status : '',
		type: (CASE_TYPES as readonly string[]).includes(type) ? type : '',
		area: areas.includes(area) ? area : '',
		agency: UUID.test(agency) ? agency : '',
		scope: raw.scope === 'all' ? 'all' : ''
	};
}

/** A social worker of a social services agency holds cases, so "Mina ärenden" applies to them. */
function holdsCases(user: App.Locals['user']): boolean {
	return !!user?.roles.includes('social_worker') && user.agency.kind === 'social_services';
}

function toApiFilter(filters: Filters, page: number, mine: boolean, q?: string): CaseFilter {
	return {
		page,
		...(mine && filters.scope !== 'all' ? { owner: 'me' as const } : {}),
		pageSize: PAGE_SIZE,
		...(q ? { q } : {}),
		...(filters.status ? { status: filters.status as CaseFilter['status'] } : {}),
		...(filters.type ? { type: filters.type as CaseFilter['type'] } : {}),
		...(filters.area ? { area: filters.area } : {}),
		...(filters.agency ? { agencyId: filters.agency } : {})
	};
}

function pageNumber(value: string | null): number {
	const n = Number(value);
	return Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1;
}

export const load: PageServerLoad = async ({ locals, url }) => {
	let options;
	try {
		options = await locals.api.cases.options();
	} catch (err) {
		// Coordinators, auditors and administrators have no case list (coordinators: group figures).
		if (err instanceof ApiError && err.status === 403)
			return { forbidden: true as const, isCoordinator: locals.user?.roles.includes('coordinator') ?? false };
		throw err;
	}
	const filters = cleanFilters(Object.fromEntries(FILTERS.map((f) => [f, url.searchParams.get(f)])), options.areas);
	const page = pageNumber(url.searchParams.get('page'));
	const result: CaseListPage = await locals.api.cases.search(toApiFilter(filters, page, holdsCases(locals.user)));
	return {
		forbidden: false as const,
		filters,
		result,
		areas: options.areas,
		agencies: options.agencies.filter((a) => a.id !== locals.user?.agencyId),
		canCreate: holdsCases(locals.user),
		/** Offer "Mina ärenden" / all the unit's cases. */
		holdsCases: holdsCases(locals.user)
	};
};

export const actions = {
	/**
	 * Search by name or personnummer. It is a POST so that what was searched for never appears in a
	 * URL (history, proxies, logs); without a search term the filters go to the URL as usual.
	 */
	search: async ({ request, locals }) => {
		const form = await request.formData();
		const values = formValues(form, ['q', ...FILTERS, 'page']);
		const areas = (await locals.api.cases.options()).areas;
		const filters = cleanFilters(values, areas);
		const q = values.q ?? '';
		if (!q) {
			const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
			const search = params.toString();
			redirect(303, search ? `/cases?${search}` : '/cases');
		}
		if (q.length > 100) return formFailure(400, 'search', 'cases.list.error.qTooLong', values, { q: 'cases.list.error.qTooLong' });
		try {
			const result = await locals.api.cases.search(toApiFilter(filters, pageNumber(values.page ?? null), holdsCases(locals.user), q));
			return { action: 'search', q, filters, result };
		} catch (err) {
			return apiFailure(err, {
				action: 'search',
				requestId: locals.requestId,
				values,
				codeField: { invalid_personal_identity_number: 'q' }
			});
		}
	}
} satisfies Actions;
