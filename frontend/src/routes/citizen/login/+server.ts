import { redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { createCitizenApi } from '$lib/server/citizen';
import { safeCitizenTarget } from '$lib/server/citizen-session';
import { setFlowCookie } from './flow-cookie';
import type { RequestHandler } from './$types';

/**
 * "Logga in med e-legitimation": starts a sign-in at the e-service identity provider and sends
 * the browser there. Also where a stale sign-in is sent to confirm an answer or a withdrawal.
 */
export const GET: RequestHandler = async ({ locals, cookies, url, getClientAddress }) => {
	const returnTo = safeCitizenTarget(url.searchParams.get('returnTo'));
	const api = createCitizenApi({ token: null, requestId: locals.requestId, clientAddress: getClientAddress() });
	let authorization: URL;
	try {
		authorization = await api.start(returnTo);
	} catch (e) {
		if (e instanceof ApiError && e.status === 404) redirect(303, '/citizen/login/callback?failed=not_configured');
		redirect(303, '/citizen/login/callback?failed=unavailable');
	}
	const state = authorization.searchParams.get('state');
	if (!state) redirect(303, '/citizen/login/callback?failed=unavailable');
	setFlowCookie(cookies, url, { state, returnTo });
	redirect(303, authorization.href);
};
