import { error } from '@sveltejs/kit';
import { auditApi, attachment, requireAuditor, rethrowForbidden } from '$lib/server/audit';
import { DEFAULT_TIME_ZONE, dateInZone, isUuid } from '../../../filters';
import type { RequestHandler } from './$types';

/**
 * The person's extract as CSV, for handing out: the API's extract CSV (no client addresses, a
 * proof status per event: proven / pending), streamed through with the auditor's token.
 */
export const GET: RequestHandler = async (event) => {
	requireAuditor(event);
	const id = event.params.id.toLowerCase();
	if (!isUuid(id)) error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });
	let upstream: Response;
	try {
		upstream = await auditApi(event).extractCsv(id);
	} catch (cause) {
		rethrowForbidden(cause, event);
	}
	return attachment(upstream, 'text/csv; charset=utf-8', `samverka-loggutdrag-${id}-${dateInZone(Date.now(), DEFAULT_TIME_ZONE)}.csv`);
};
