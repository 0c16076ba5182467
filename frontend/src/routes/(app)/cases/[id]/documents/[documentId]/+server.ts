import { error } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { caseNotFound } from '$lib/server/cases';
import type { RequestHandler } from './$types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The API's headers that describe the file; the rest (its own ids, timings) stay behind. */
const PASSED = ['content-type', 'content-disposition', 'content-length'] as const;

/**
 * A document's bytes, streamed from the API (which audits the download before it answers) to the
 * browser. Never cached, never sniffed; "not found or no access" exactly as for the case.
 */
export const GET: RequestHandler = async ({ locals, params }) => {
	if (!UUID.test(params.documentId)) caseNotFound(locals.requestId);
	let response: Response;
	try {
		response = await locals.api.documents.download(params.documentId);
	} catch (err) {
		if (err instanceof ApiError && (err.status === 404 || err.status === 403 || err.status === 400)) caseNotFound(locals.requestId);
		// The stored document failed its integrity check: said as such, not as a crash.
		if (err instanceof ApiError && err.status === 409)
			error(409, { message: 'Document cannot be opened', code: 'unexpected', requestId: locals.requestId });
		throw err;
	}
	const headers = new Headers({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
	for (const name of PASSED) {
		const value = response.headers.get(name);
		if (value) headers.set(name, value);
	}
	return new Response(response.body, { status: 200, headers });
};
