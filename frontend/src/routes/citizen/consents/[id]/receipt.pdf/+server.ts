import { ApiError } from '$lib/server/api';
import { download } from '../../../download';
import { citizenApi, isUuid, notFound } from '../../../guard';
import type { RequestHandler } from './$types';

/** The consent's receipt as a PDF to read and keep (the signed JSON one is for checking). */
export const GET: RequestHandler = async ({ locals, params }) => {
	if (!isUuid(params.id)) notFound(locals);
	try {
		return download(await citizenApi(locals).receiptPdf(params.id), 'samtyckeskvitto.pdf');
	} catch (e) {
		if (e instanceof ApiError && e.status < 500) notFound(locals);
		throw e;
	}
};
