import { error, type RequestEvent } from '@sveltejs/kit';
import type { paths } from '$lib/api/schema';
import { ApiError, request, type ApiContext, type Json, type RequestOptions } from './http';
import { readSessionCookie } from './session';

/**
 * The audit part of the API client, for the auditor's pages under /audit. Server-side only: the
 * token comes from the httpOnly session cookie and never reaches the browser. The auditor sees
 * access metadata (ids, names of staff and agencies, outcomes), never case content.
 */

export type AuditEventsQuery = NonNullable<paths['/api/audit/events']['get']['parameters']['query']>;
export type AuditEventPage = Json<paths['/api/audit/events']['get']['responses'][200]>;
export type AuditEvent = AuditEventPage['items'][number];
export type AuditCsvQuery = NonNullable<paths['/api/audit/export.csv']['get']['parameters']['query']>;
export type AuditVerification = Json<paths['/api/audit/verify']['get']['responses'][200]>;
export type AuditCheckpoint = NonNullable<AuditVerification['lastCheckpoint']>;
export type AuditExtract = Json<paths['/api/audit/subjects/{id}/extract']['get']['responses'][200]>;
export type AuditExtractEvent = AuditExtract['events'][number];
export type AuditExtractGroupsQuery = NonNullable<paths['/api/audit/subjects/{id}/extract/groups']['get']['parameters']['query']>;
export type AuditExtractGroups = Json<paths['/api/audit/subjects/{id}/extract/groups']['get']['responses'][200]>;
export type AuditTimelineQuery = paths['/api/audit/timeline']['get']['parameters']['query'];
export type AuditTimeline = Json<paths['/api/audit/timeline']['get']['responses'][200]>;
export type AuditTimelinePoint = AuditTimeline['points'][number];
export type RetentionReport = Json<paths['/api/audit/retention']['get']['responses'][200]>;
export type AuditAnomaliesQuery = NonNullable<paths['/api/audit/anomalies']['get']['parameters']['query']>;
export type AuditAnomalies = Json<paths['/api/audit/anomalies']['get']['responses'][200]>;
export type AuditAnomaly = AuditAnomalies['items'][number];
export type AuditSubjectLookup = Json<paths['/api/audit/subjects/lookup']['post']['responses'][200]>;
export type AuditSecrecyReviewBody = Json<NonNullable<paths['/api/audit/subjects/{id}/secrecy-review']['post']['requestBody']>>;
export type AuditSecrecyReview = Json<paths['/api/audit/subjects/{id}/secrecy-review']['post']['responses'][201]>;
export type AuditAgencies = Json<paths['/api/audit/agencies']['get']['responses'][200]>;
export type AuditActors = Json<paths['/api/audit/actors']['get']['responses'][200]>;
export type AuditActions = Json<paths['/api/audit/actions']['get']['responses'][200]>;

/** The API context of this request, as `hooks.server.ts` builds it for `locals.api`. */
function contextOf(event: RequestEvent): ApiContext {
	let clientAddress: string | undefined;
	try {
		clientAddress = event.getClientAddress();
	} catch {
		clientAddress = undefined;
	}
	return { token: readSessionCookie(event.cookies, event.url), requestId: event.locals.requestId, clientAddress };
}

/**
 * The auditor's pages exist only for the auditor role; everyone else gets "not found" (the API
 * would answer 403 anyway, and is still the one that decides).
 */
export function requireAuditor(event: RequestEvent): void {
	if (!event.locals.user?.roles.includes('auditor')) {
		error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });
	}
}

/** A 403 from the API (e.g. the role was taken away mid-session) is shown as "not found" too. */
export function rethrowForbidden(cause: unknown, event: RequestEvent): never {
	if (cause instanceof ApiError && (cause.status === 403 || cause.status === 404)) {
		error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });
	}
	throw cause;
}

type Query = Record<string, string | number | undefined>;

export function auditApi(event: RequestEvent) {
	const ctx = contextOf(event);
	const get = async <T>(path: keyof paths, options: RequestOptions = {}): Promise<T> =>
		(await (await request(ctx, 'GET', path, undefined, options)).json()) as T;

	return {
		events: (query: AuditEventsQuery) => get<AuditEventPage>('/api/audit/events', { query: query as Query }),
		verify: () => get<AuditVerification>('/api/audit/verify'),
		timeline: (query: AuditTimelineQuery) => get<AuditTimeline>('/api/audit/timeline', { query: query as Query }),
		anomalies: (query: AuditAnomaliesQuery) => get<AuditAnomalies>('/api/audit/anomalies', { query: query as Query }),
		retention: () => get<RetentionReport>('/api/audit/retention'),
		extract: (subjectId: string) => get<AuditExtract>('/api/audit/subjects/{id}/extract', { params: { id: subjectId } }),
		/** The extract grouped per day × agency × action; 400 for a bad filter, 409 for an agency filter while agencies are held back. */
		extractGroups: (subjectId: string, query: AuditExtractGroupsQuery) =>
			get<AuditExtractGroups>('/api/audit/subjects/{id}/extract/groups', { params: { id: subjectId }, query: query as Query }),
		/** The filter lists: agencies, staff (names are fine for the auditor) and action codes. */
		agencies: () => get<AuditAgencies>('/api/audit/agencies'),
		actors: () => get<AuditActors>('/api/audit/actors'),
		actions: () => get<AuditActions>('/api/audit/actions'),
		/** GDPR art. 15: a personnummer (in the body, never a URL) to the person's subject ids. 400: not a valid number. */
		lookupSubjects: async (personalIdentityNumber: string) =>
			(await (await request(ctx, 'POST', '/api/audit/subjects/lookup', { personalIdentityNumber })).json()) as AuditSubjectLookup,
		/** A protected person's extract: release or keep holding back the agencies. 400: bad codes; 409: not protected. */
		secrecyReview: async (subjectId: string, body: AuditSecrecyReviewBody) =>
			(await (
				await request(ctx, 'POST', '/api/audit/subjects/{id}/secrecy-review', body, { params: { id: subjectId } })
			).json()) as AuditSecrecyReview,
		extractCsv: (subjectId: string) =>
			request(ctx, 'GET', '/api/audit/subjects/{id}/extract.csv', undefined, { params: { id: subjectId } }),
		/** The API's response, to stream on unread (CSV, or the extract as JSON for offline checks). */
		exportCsv: (query: AuditCsvQuery) => request(ctx, 'GET', '/api/audit/export.csv', undefined, { query: query as Query }),
		extractRaw: (subjectId: string) => request(ctx, 'GET', '/api/audit/subjects/{id}/extract', undefined, { params: { id: subjectId } })
	};
}

/** A download of an API response body, never cached, never sniffed. */
export function attachment(upstream: Response, contentType: string, filename: string): Response {
	const headers = new Headers({
		'content-type': contentType,
		'content-disposition': `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"`,
		'cache-control': 'no-store',
		'x-content-type-options': 'nosniff'
	});
	const truncated = upstream.headers.get('x-truncated');
	if (truncated) headers.set('x-truncated', truncated);
	return new Response(upstream.body, { status: 200, headers });
}
