import { redirect } from '@sveltejs/kit';
import { ApiError, ApiUnavailableError } from '$lib/server/api';
import { clearCitizenCookie } from '$lib/server/citizen-session';
import type { Actions, PageServerLoad } from './$types';

// Signing out changes state, so it is a POST (a form action); a plain visit just goes to the start.
export const load: PageServerLoad = () => {
	redirect(303, '/citizen');
};

export const actions = {
	default: async ({ cookies, locals, url }) => {
		if (locals.citizen) {
			try {
				await locals.citizen.logout();
			} catch (error) {
				// Already ended (401), or the API is down: the cookie goes either way.
				if (!(error instanceof ApiError || error instanceof ApiUnavailableError)) throw error;
				console.warn(
					JSON.stringify({ level: 'warn', msg: 'citizen logout not confirmed by API', requestId: locals.requestId, error: error.name })
				);
			}
		}
		clearCitizenCookie(cookies, url);
		redirect(303, '/citizen?signedOut=1');
	}
} satisfies Actions;
