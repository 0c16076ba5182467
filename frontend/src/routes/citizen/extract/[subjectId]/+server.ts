import { ApiError } from '$lib/server/api';
import { download } from '../../download';
import { citizenApi, isUuid, notFound } from '../../guard';
import type { RequestHandler } from './$types';

/** The person's log extract (GDPR art. 15) with its proofs, as a file to keep or check. */
export const GET: RequestHandler = async ({ locals, params }) => {
	if (!isUuid(params.subjectId)) notFound(locals);
	try {
		return download(await citizenApi(locals).extract(params.subjectId), 'loggutdrag.json');
	} catch (e) {
		if (e instanceof ApiError && e.status < 500) notFound(locals);
		throw e;
	}
};
