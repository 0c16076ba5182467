import { auditApi, requireAuditor, rethrowForbidden } from '$lib/server/audit';
import { section } from '../section';
import type { PageServerLoad } from './$types';

/** The retention report: what is due, kept by an exception, and erased (the API audits the read). */
export const load: PageServerLoad = async (event) => {
	requireAuditor(event);
	try {
		return { report: await section(auditApi(event).retention()) };
	} catch (cause) {
		rethrowForbidden(cause, event);
	}
};
