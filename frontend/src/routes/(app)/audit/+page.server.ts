import { redirect } from '@sveltejs/kit';
import { requireAuditor } from '$lib/server/audit';
import { FILTER_FIELDS } from './filters';
import type { PageServerLoad } from './$types';

/**
 * The auditor's overview: where each tool lives. A link to `/audit?<filter>` (bookmarks, links
 * made before the tools had views of their own) is a search: it goes on to /audit/search.
 */
export const load: PageServerLoad = async (event) => {
	requireAuditor(event);
	const params = event.url.searchParams;
	if ([...FILTER_FIELDS, 'page'].some((k) => params.has(k))) redirect(308, `/audit/search${event.url.search}`);
	return {};
};
