import { ApiError } from '$lib/server/api';
import { download } from '../../../download';
import { citizenApi, isUuid, notFound } from '../../../guard';
import type { RequestHandler } from './$types';

/** The consent's signed receipt, as a file the person keeps. */
export const GET: RequestHandler = async ({ locals, params }) => {
	if (!isUuid(params.id)) notFound(locals);
	try {
		return download(await citizenApi(locals).receipt(params.id), 'samtycke-kvitto.json');
	} catch (e) {
		if (e instanceof ApiError && e.status < 500) notFound(locals);
		throw e;
	}
};
