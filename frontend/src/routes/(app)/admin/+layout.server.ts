import { requireAdmin } from '$lib/server/admin';
import type { LayoutServerLoad } from './$types';

/** The workspace is the admins'; the change log (/admin/changes) also the auditor's. The API decides too. */
export const load: LayoutServerLoad = async (event) => {
	requireAdmin(event, { auditorToo: event.url.pathname === '/admin/changes' });
	return {};
};
