import { error, type RequestEvent } from '@sveltejs/kit';
import type { paths } from '$lib/api/schema';
import { ApiError, request, type ApiContext, type Json } from '$lib/server/http';
import { readSessionCookie } from '$lib/server/session';

/** The group-level figures of the API, bound to this request's token. Server-side only. */

export type Overview = Json<paths['/api/stats/overview']['get']['responses'][200]>;
export type OverviewQuery = NonNullable<paths['/api/stats/overview']['get']['parameters']['query']>;

function contextOf(event: RequestEvent): ApiContext {
	let clientAddress: string | undefined;
	try {
		clientAddress = event.getClientAddress();
	} catch {
		clientAddress = undefined;
	}
	return { token: readSessionCookie(event.cookies, event.url), requestId: event.locals.requestId, clientAddress };
}

/** The period asked for in the page's address (absent: the API's default, the last twelve months). */
export function periodOf(url: URL): OverviewQuery {
	const query: OverviewQuery = {};
	const from = url.searchParams.get('from');
	const to = url.searchParams.get('to');
	if (from) query.from = from;
	if (to) query.to = to;
	return query;
}

export function statsApi(event: RequestEvent) {
	const ctx = contextOf(event);
	return {
		overview: async (query: OverviewQuery) =>
			(await (await request(ctx, 'GET', '/api/stats/overview', undefined, { query })).json()) as Overview,
		/** The CSV, unread, to be streamed on. */
		overviewCsv: (query: OverviewQuery) => request(ctx, 'GET', '/api/stats/overview.csv', undefined, { query })
	};
}

/** Roles without the figures get "not found", as for a page that does not exist; the API still decides. */
export function rethrowForbidden(cause: unknown, event: RequestEvent): never {
	if (cause instanceof ApiError && (cause.status === 403 || cause.status === 404)) {
		error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });
	}
	throw cause;
}
