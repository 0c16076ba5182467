import { auditApi, requireAuditor, rethrowForbidden } from '$lib/server/audit';
import { DEFAULT_TIME_ZONE } from '../filters';
import { section } from '../section';
import type { PageServerLoad } from './$types';

/** Is the log intact: the incremental check (or a full one when due), as the API runs it. */
export const load: PageServerLoad = async (event) => {
	requireAuditor(event);
	try {
		return { integrity: await section(auditApi(event).verify()), timeZone: DEFAULT_TIME_ZONE };
	} catch (cause) {
		rethrowForbidden(cause, event);
	}
};
