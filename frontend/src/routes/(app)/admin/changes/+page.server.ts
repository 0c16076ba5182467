import { adminRead, UUID } from '$lib/server/admin';
import type { PageServerLoad } from './$types';

const PAGE_SIZE = 50;

/** Every admin change with its values before and after: for the auditor and the admins. */
export const load: PageServerLoad = async (event) => {
	const p = event.url.searchParams;
	const resourceId = UUID.test(p.get('resourceId') ?? '') ? p.get('resourceId')! : undefined;
	const pageNo = Math.max(1, Math.min(2000, Number.parseInt(p.get('page') ?? '1', 10) || 1));
	const page = await adminRead(event, event.locals.api.admin.changes({ resourceId, offset: (pageNo - 1) * PAGE_SIZE }));
	return { page, pageNo, pages: Math.max(1, Math.ceil(page.total / PAGE_SIZE)), resourceId: resourceId ?? null };
};
