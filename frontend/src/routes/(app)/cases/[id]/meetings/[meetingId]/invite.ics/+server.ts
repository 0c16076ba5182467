import { ApiError } from '$lib/server/api';
import { caseNotFound } from '$lib/server/cases';
import type { RequestHandler } from './$types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A meeting's invitation (.ics), from the API (which audits it and leaves out everything about
 * the person but the case number) to the browser; never cached; "not found or no access" as for the case.
 */
export const GET: RequestHandler = async ({ locals, params }) => {
	if (!UUID.test(params.id) || !UUID.test(params.meetingId)) caseNotFound(locals.requestId);
	let response: Response;
	try {
		response = await locals.api.meetings.invite(params.id, params.meetingId);
	} catch (err) {
		if (err instanceof ApiError && (err.status === 404 || err.status === 403 || err.status === 400)) caseNotFound(locals.requestId);
		throw err;
	}
	return new Response(await response.text(), {
		status: 200,
		headers: {
			'content-type': 'text/calendar; charset=utf-8',
			'content-disposition': 'attachment; filename="natverksmote.ics"',
			'cache-control': 'no-store',
			'x-content-type-options': 'nosniff'
		}
	});
};
