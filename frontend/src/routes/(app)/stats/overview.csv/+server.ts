import { attachment } from '$lib/server/audit';
import { ApiError } from '$lib/server/http';
import { periodOf, rethrowForbidden, statsApi } from '../stats.server';
import type { RequestHandler } from './$types';

/** "Ladda ner som CSV": the API's CSV streamed through with the user's token (which the browser never holds). */
export const GET: RequestHandler = async (event) => {
	const query = periodOf(event.url);
	let upstream: Response;
	try {
		upstream = await statsApi(event).overviewCsv(query);
	} catch (cause) {
		if (cause instanceof ApiError && cause.status === 400) {
			return new Response('Invalid period: give the dates as YYYY-MM-DD, at most five years apart.', {
				status: 400,
				headers: { 'content-type': 'text/plain; charset=utf-8' }
			});
		}
		rethrowForbidden(cause, event);
	}
	const name = upstream.headers.get('content-disposition')?.match(/filename="([^"]+)"/)?.[1] ?? 'samverka-figures.csv';
	return attachment(upstream, 'text/csv; charset=utf-8', name);
};
