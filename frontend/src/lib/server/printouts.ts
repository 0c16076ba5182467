import type { paths } from '$lib/api/schema';
import { ApiError, type Call, type Json } from './http';
import { caseNotFound } from './cases';

/**
 * Printouts (PDFs the API renders for the caller, shaped and audited there) and their way to the
 * browser: streamed through this web app, never cached. Server-side only.
 */

export type ConsentFormRequest = Json<paths['/api/cases/{id}/consent-form.pdf']['post']['requestBody']>;

export function createPrintoutsApi(call: Call) {
	const meeting = (caseId: string, meetingId: string) => ({ params: { id: caseId, meetingId } });
	return {
		invitation: (caseId: string, meetingId: string) =>
			call('GET', '/api/cases/{id}/meetings/{meetingId}/invitation.pdf', undefined, meeting(caseId, meetingId)),
		minutes: (caseId: string, meetingId: string) =>
			call('GET', '/api/cases/{id}/meetings/{meetingId}/minutes.pdf', undefined, meeting(caseId, meetingId)),
		receipt: (consentId: string) => call('GET', '/api/consents/{id}/receipt.pdf', undefined, { params: { id: consentId } }),
		consentForm: (caseId: string, body: ConsentFormRequest) =>
			call('POST', '/api/cases/{id}/consent-form.pdf', body, { params: { id: caseId } })
	};
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The API's headers that describe the file; the rest stay behind. */
const PASSED = ['content-type', 'content-disposition', 'content-length'] as const;

/**
 * The API's PDF as this app's answer: the file's own headers, never cached. "Not found or no
 * access" (and a malformed id) answer as for the case, so a download tells no more than a page.
 */
export async function pdfDownload(requestId: string, fetchPdf: () => Promise<Response>): Promise<Response> {
	let response: Response;
	try {
		response = await fetchPdf();
	} catch (err) {
		if (err instanceof ApiError && (err.status === 404 || err.status === 403 || err.status === 400)) caseNotFound(requestId);
		throw err;
	}
	const headers = new Headers({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
	for (const name of PASSED) {
		const value = response.headers.get(name);
		if (value) headers.set(name, value);
	}
	return new Response(response.body, { status: 200, headers });
}
