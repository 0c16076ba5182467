import { caseNotFound } from '$lib/server/cases';
import { pdfDownload, UUID } from '$lib/server/printouts';
import type { RequestHandler } from './$types';

/** The invitation to a network meeting as a PDF (shaped for the caller and audited by the API). */
export const GET: RequestHandler = async ({ locals, params }) => {
	if (!UUID.test(params.id) || !UUID.test(params.meetingId)) caseNotFound(locals.requestId);
	return pdfDownload(locals.requestId, () => locals.api.printouts.invitation(params.id, params.meetingId));
};
