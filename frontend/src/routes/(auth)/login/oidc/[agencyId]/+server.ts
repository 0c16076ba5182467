import { redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { safeRedirectTarget } from '$lib/server/session';
import { setFlowCookie } from '../flow-cookie';
import type { RequestHandler } from './$types';

/** "Logga in med <organisation>": starts the sign-in at the agency's provider and sends the browser there. */
export const GET: RequestHandler = async ({ params, locals, cookies, url }) => {
	let authorization: URL;
	try {
		authorization = await locals.api.oidc.start(params.agencyId);
	} catch (e) {
		if (e instanceof ApiError && (e.status === 404 || e.status === 400)) {
			redirect(303, '/login/oidc/callback?failed=not_found');
		}
		redirect(303, '/login/oidc/callback?failed=unavailable');
	}
	const state = authorization.searchParams.get('state');
	if (!state) redirect(303, '/login/oidc/callback?failed=unavailable');
	setFlowCookie(cookies, url, { state, redirectTo: safeRedirectTarget(url.searchParams.get('redirectTo')) });
	redirect(303, authorization.href);
};
