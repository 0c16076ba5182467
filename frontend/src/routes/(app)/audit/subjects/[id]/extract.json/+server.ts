import { error } from '@sveltejs/kit';
import { auditApi, attachment, requireAuditor, rethrowForbidden } from '$lib/server/audit';
import { isUuid } from '../../../filters';
import type { RequestHandler } from './$types';

/** The extract as the API signed it (events, inclusion proofs, checkpoint, public key), for checking offline. */
export const GET: RequestHandler = async (event) => {
	requireAuditor(event);
	const id = event.params.id.toLowerCase();
	if (!isUuid(id)) error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });
	let upstream: Response;
	try {
		upstream = await auditApi(event).extractRaw(id);
	} catch (cause) {
		rethrowForbidden(cause, event);
	}
	return attachment(upstream, 'application/json; charset=utf-8', `samverka-loggutdrag-${id}.json`);
};
