import { redirect } from '@sveltejs/kit';
import { ApiError, ApiUnavailableError } from '$lib/server/api';
import { clearSessionCookie, readSessionCookie } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

// Signing out changes state, so it is a POST (a form action); a plain visit just goes home.
export const load: PageServerLoad = () => {
	redirect(303, '/');
};

export const actions = {
	default: async ({ cookies, locals, url }) => {
		if (readSessionCookie(cookies, url)) {
			try {
				await locals.api.logout();
			} catch (error) {
				// Already expired or revoked (401), or the API is down: the cookie goes either way.
				if (!(error instanceof ApiError || error instanceof ApiUnavailableError)) throw error;
				console.warn(JSON.stringify({ level: 'warn', msg: 'logout not confirmed by API', requestId: locals.requestId, error: error.name }));
			}
		}
		clearSessionCookie(cookies, url);
		redirect(303, '/login?signedOut=1');
	}
} satisfies Actions;
