import type { MessageKey } from '$lib/i18n/messages';
import { ApiError, ApiUnavailableError } from '$lib/server/api';
import { problemCode } from '$lib/server/http';
import { setSessionCookie } from '$lib/server/session';
import { takeFlowCookie } from '../flow-cookie';
import type { PageServerLoad } from './$types';

const ERRORS: Record<string, MessageKey> = {
	sign_in_expired: 'signin.oidc.error.expired',
	no_account: 'signin.oidc.error.noAccount',
	acr_too_low: 'signin.oidc.error.acrTooLow',
	provider_refused: 'signin.oidc.error.refused',
	provider_response_invalid: 'signin.oidc.error.invalid',
	provider_not_found: 'signin.oidc.error.notFound'
};

type Outcome = { signedIn: true; redirectTo: string } | { signedIn: false; error: MessageKey };

/**
 * The redirect URI the provider sends the browser back to: checks that this browser started the
 * sign-in, lets the API finish it, and keeps the session in the httpOnly session cookie.
 */
export const load: PageServerLoad = async ({ url, cookies, locals }): Promise<Outcome> => {
	const failed = url.searchParams.get('failed');
	if (failed) return { signedIn: false, error: failed === 'not_found' ? 'signin.oidc.error.notFound' : 'signin.oidc.error.unavailable' };

	const flow = takeFlowCookie(cookies, url);
	if (!flow || flow.state !== url.searchParams.get('state')) return { signedIn: false, error: 'signin.oidc.error.expired' };
	let session;
	try {
		session = await locals.api.oidc.callback(url.searchParams);
	} catch (e) {
		if (e instanceof ApiError) return { signedIn: false, error: ERRORS[problemCode(e)] ?? 'signin.oidc.error.invalid' };
		if (e instanceof ApiUnavailableError) return { signedIn: false, error: 'signin.oidc.error.unavailable' };
		throw e;
	}
	setSessionCookie(cookies, url, session.accessToken, session.expiresIn);
	// An initial password set by the admin must be changed first, whichever way the user signed in.
	return { signedIn: true, redirectTo: session.mustChangePassword ? '/change-password' : flow.redirectTo };
};
