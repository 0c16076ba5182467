import { adminRead, UUID } from '$lib/server/admin';
import type { PageServerLoad } from './$types';

const ROLES = ['social_worker', 'partner', 'coordinator', 'auditor', 'admin'];
const PAGE_SIZE = 25;

/** Users searched and filtered through the query string (a GET form), so a result can be linked and reloaded. */
export const load: PageServerLoad = async (event) => {
	const p = event.url.searchParams;
	const filters = {
		q: (p.get('q') ?? '').trim().slice(0, 100),
		agencyId: UUID.test(p.get('agencyId') ?? '') ? p.get('agencyId')! : '',
		role: ROLES.includes(p.get('role') ?? '') ? p.get('role')! : '',
		active: ['true', 'false'].includes(p.get('active') ?? '') ? p.get('active')! : ''
	};
	const pageNo = Math.max(1, Math.min(4000, Number.parseInt(p.get('page') ?? '1', 10) || 1));
	const api = event.locals.api.admin;
	const [page, agencies] = await Promise.all([
		adminRead(
			event,
			api.users({
				q: filters.q || undefined,
				agencyId: filters.agencyId || undefined,
				role: filters.role || undefined,
				active: filters.active || undefined,
				limit: PAGE_SIZE,
				offset: (pageNo - 1) * PAGE_SIZE
			})
		),
		adminRead(event, api.agencies())
	]);
	return { filters, page, pageNo, pageSize: PAGE_SIZE, agencies, roles: ROLES };
};
