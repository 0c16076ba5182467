import { auditApi, attachment, requireAuditor, rethrowForbidden } from '$lib/server/audit';
import { DEFAULT_TIME_ZONE, dateInZone, parseFilter } from '../filters';
import type { RequestHandler } from './$types';

/**
 * "Exportera CSV": the API's CSV of the filtered log, streamed through with the auditor's token
 * (which the browser never holds). The API records the export in the log itself.
 */
export const GET: RequestHandler = async (event) => {
	requireAuditor(event);
	const filter = parseFilter(event.url.searchParams, DEFAULT_TIME_ZONE);
	if (Object.keys(filter.errors).length > 0) {
		return new Response('Invalid filter', { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' } });
	}
	let upstream: Response;
	try {
		upstream = await auditApi(event).exportCsv(filter.api);
	} catch (cause) {
		rethrowForbidden(cause, event);
	}
	const day = dateInZone(Date.now(), DEFAULT_TIME_ZONE);
	const name = filter.api.subjectId ? `samverka-loggutdrag-${filter.api.subjectId}-${day}.csv` : `samverka-atkomstlogg-${day}.csv`;
	return attachment(upstream, 'text/csv; charset=utf-8', name);
};
