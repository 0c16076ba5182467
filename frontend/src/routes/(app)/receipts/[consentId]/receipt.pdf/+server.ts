import { caseNotFound } from '$lib/server/cases';
import { pdfDownload, UUID } from '$lib/server/printouts';
import type { RequestHandler } from './$types';

/** The consent receipt as a one-page PDF a guardian can keep (the owning unit only; audited by the API). */
export const GET: RequestHandler = async ({ locals, params }) => {
	if (!UUID.test(params.consentId)) caseNotFound(locals.requestId);
	return pdfDownload(locals.requestId, () => locals.api.printouts.receipt(params.consentId));
};
