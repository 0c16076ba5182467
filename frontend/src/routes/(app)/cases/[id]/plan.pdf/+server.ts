import { ApiError } from '$lib/server/api';
import { caseNotFound } from '$lib/server/cases';
import type { RequestHandler } from './$types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The API's headers that describe the file; the rest stay behind. */
const PASSED = ['content-type', 'content-disposition', 'content-length'] as const;

/**
 * The plan as a PDF for the network meeting, streamed from the API (which shapes it for the caller
 * and audits the print before it answers). Never cached; "not found or no access" as for the case.
 */
export const GET: RequestHandler = async ({ locals, params }) => {
	if (!UUID.test(params.id)) caseNotFound(locals.requestId);
	let response: Response;
	try {
		response = await locals.api.cases.planPdf(params.id);
	} catch (err) {
		if (err instanceof ApiError && (err.status === 404 || err.status === 403 || err.status === 400)) caseNotFound(locals.requestId);
		throw err;
	}
	const headers = new Headers({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
	for (const name of PASSED) {
		const value = response.headers.get(name);
		if (value) headers.set(name, value);
	}
	return new Response(response.body, { status: 200, headers });
};
