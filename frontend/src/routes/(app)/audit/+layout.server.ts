import { requireAuditor } from '$lib/server/audit';
import type { LayoutServerLoad } from './$types';

/** Every view under /audit is the auditor's; the pages check too, and the API decides. */
export const load: LayoutServerLoad = async (event) => {
	requireAuditor(event);
	return {};
};
