import { ApiError, ApiUnavailableError } from '$lib/server/api';
import { clearCitizenCookie } from '$lib/server/citizen-session';
import type { CitizenMe } from '$lib/server/citizen';
import type { LayoutServerLoad } from './$types';

/**
 * Who is signed in on the citizen's pages, and how they stand to each subject. A session that
 * ended (30 minutes after sign-in, or signed out elsewhere) clears the cookie and says so once;
 * an API that does not answer keeps the cookie and says that instead.
 */
export const load: LayoutServerLoad = async ({ locals, cookies, url }) => {
	let me: CitizenMe | null = null;
	let sessionEnded = false;
	let unavailable = false;
	if (locals.citizen) {
		try {
			me = await locals.citizen.me();
		} catch (e) {
			if (e instanceof ApiUnavailableError) {
				// Said on the start page, in the citizen's own layout (the signed-in pages lead there).
				unavailable = true;
			} else {
				if (!(e instanceof ApiError && e.status === 401)) throw e;
				clearCitizenCookie(cookies, url);
				locals.citizen = null;
				sessionEnded = true;
			}
		}
	}
	return { me, sessionEnded, unavailable };
};
