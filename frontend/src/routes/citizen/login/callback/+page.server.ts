import type { MessageKey } from '$lib/i18n/messages';
import { ApiError, ApiUnavailableError } from '$lib/server/api';
import { createCitizenApi } from '$lib/server/citizen';
import { setCitizenCookie } from '$lib/server/citizen-session';
import { problemCode } from '$lib/server/http';
import { takeFlowCookie } from '../flow-cookie';
import type { PageServerLoad } from './$types';

const ERRORS: Record<string, MessageKey> = {
	sign_in_expired: 'citizen.login.error.expired',
	acr_too_low: 'citizen.login.error.acrTooLow',
	provider_refused: 'citizen.login.error.refused',
	citizen_sign_in_not_configured: 'citizen.login.error.notConfigured',
	provider_unavailable: 'citizen.login.error.unavailable'
};

type Outcome = { signedIn: true; redirectTo: string } | { signedIn: false; error: MessageKey };

/**
 * Where the identity provider sends the browser back: checks that this browser started the
 * sign-in, lets the API finish it, and keeps the citizen session in its own httpOnly cookie.
 */
export const load: PageServerLoad = async ({ url, cookies, locals, getClientAddress }): Promise<Outcome> => {
	const failed = url.searchParams.get('failed');
	if (failed) {
		return {
			signedIn: false,
			error: failed === 'not_configured' ? 'citizen.login.error.notConfigured' : 'citizen.login.error.unavailable'
		};
	}
	const flow = takeFlowCookie(cookies, url);
	if (!flow || flow.state !== url.searchParams.get('state')) return { signedIn: false, error: 'citizen.login.error.expired' };
	if (url.searchParams.has('error')) return { signedIn: false, error: 'citizen.login.error.refused' };

	const api = createCitizenApi({ token: null, requestId: locals.requestId, clientAddress: getClientAddress() });
	let session;
	try {
		session = await api.callback(url.searchParams);
	} catch (e) {
		if (e instanceof ApiError) return { signedIn: false, error: ERRORS[problemCode(e)] ?? 'citizen.login.error.invalid' };
		if (e instanceof ApiUnavailableError) return { signedIn: false, error: 'citizen.login.error.unavailable' };
		throw e;
	}
	setCitizenCookie(cookies, url, session.accessToken, session.expiresIn);
	return { signedIn: true, redirectTo: flow.returnTo };
};
