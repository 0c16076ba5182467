import { randomUUID } from 'node:crypto';
import { redirect, type Handle, type HandleServerError } from '@sveltejs/kit';
import { ApiError, ApiUnavailableError, createApi } from '$lib/server/api';
import { clearSessionCookie, readLocaleCookie, readSessionCookie, setSessionCookie } from '$lib/server/session';
import { createCitizenApi } from '$lib/server/citizen';
import { isCitizenPath, readCitizenCookie } from '$lib/server/citizen-session';
import { defaultLocale, isStaffLocale, textDirection } from '$lib/i18n/messages';

function log(level: 'warn' | 'error', msg: string, fields: Record<string, unknown>): void {
	// Structured and free of personal data: no usernames, tokens or request bodies.
	console[level](JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields }));
}

/** Refresh the access token when it has less than this left, so an active user is not signed out. */
const REFRESH_WITHIN_SECONDS = 5 * 60;

/**
 * The `exp` of a JWT, in seconds since the epoch, or null. Read without verifying the signature:
 * it only decides *when* to ask the API for a new token; the API verifies every token it gets.
 */
function tokenExpiry(token: string): number | null {
	const payload = token.split('.')[1];
	if (!payload) return null;
	try {
		const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
		const exp = claims && typeof claims === 'object' ? (claims as { exp?: unknown }).exp : undefined;
		return typeof exp === 'number' && Number.isFinite(exp) ? exp : null;
	} catch {
		return null;
	}
}

function errorName(error: unknown): string {
	return error instanceof Error ? error.name : typeof error;
}

export const handle: Handle = async ({ event, resolve }) => {
	const { locals, cookies, url } = event;
	locals.requestId = randomUUID();
	locals.user = null;
	locals.apiUnavailable = false;
	locals.citizen = null;
	// The citizen's pages are a separate area: Arabic is offered there, the staff session is neither
	// read nor sent, and nobody is sent to the staff sign-in.
	const citizenArea = isCitizenPath(url.pathname);
	const cookieLocale = readLocaleCookie(cookies);
	locals.locale = citizenArea ? (cookieLocale ?? defaultLocale) : isStaffLocale(cookieLocale) ? cookieLocale : defaultLocale;

	let token = citizenArea ? null : readSessionCookie(cookies, url);
	let clientAddress: string | undefined;
	try {
		clientAddress = event.getClientAddress();
	} catch {
		clientAddress = undefined;
	}
	locals.api = createApi({ token, requestId: locals.requestId, clientAddress });
	const citizenToken = citizenArea ? readCitizenCookie(cookies, url) : null;
	if (citizenToken) locals.citizen = createCitizenApi({ token: citizenToken, requestId: locals.requestId, clientAddress });

	if (token) {
		try {
			const exp = tokenExpiry(token);
			if (exp !== null && exp - Date.now() / 1000 < REFRESH_WITHIN_SECONDS) {
				// Sliding sign-in: swap the token before it runs out. An expired or revoked one
				// answers 401 and ends the session as below.
				const session = await locals.api.refresh();
				token = session.accessToken;
				setSessionCookie(cookies, url, token, session.expiresIn);
				locals.api = createApi({ token, requestId: locals.requestId, clientAddress });
			}
			locals.user = await locals.api.me();
		} catch (error) {
			if (error instanceof ApiError && error.status === 401) {
				// Expired or revoked: forget it so the user is simply asked to sign in again.
				clearSessionCookie(cookies, url);
			} else {
				locals.apiUnavailable = true;
				log('warn', 'session check failed', { requestId: locals.requestId, error: errorName(error) });
			}
		}
	}

	// Every page, data request and form action in (app) needs a signed-in user. (When the API is
	// down the (app) layout shows the "unavailable" page instead of a misleading sign-in form.)
	if (event.route.id?.startsWith('/(app)') && !locals.user && !locals.apiUnavailable) {
		const target = url.pathname === '/' ? '' : `?redirectTo=${encodeURIComponent(url.pathname + url.search)}`;
		redirect(303, `/login${target}`);
	}

	const response = await resolve(event, {
		transformPageChunk: ({ html }) => html.replace('%lang%', locals.locale).replace('%dir%', textDirection(locals.locale))
	});

	response.headers.set('x-content-type-options', 'nosniff');
	response.headers.set('referrer-policy', 'same-origin');
	response.headers.set('x-frame-options', 'DENY');
	response.headers.set('cross-origin-opener-policy', 'same-origin');
	response.headers.set('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
	if (url.protocol === 'https:') {
		response.headers.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
	}
	if (token || locals.user || citizenToken) {
		// Pages for a signed-in user may show confidential information: never store them.
		response.headers.set('cache-control', 'no-store');
	}
	return response;
};

export const handleError: HandleServerError = ({ error, event, status }) => {
	const requestId = event.locals.requestId ?? randomUUID();
	if (status === 404) return { message: 'Not Found', code: 'not_found', requestId };
	if (error instanceof ApiUnavailableError) {
		log('warn', 'API unavailable', { requestId, route: event.route.id });
		return { message: 'Service Unavailable', code: 'unavailable', requestId };
	}
	if (status < 500) {
		// The client's mistake (e.g. 415 for a malformed form post): nothing to investigate.
		log('warn', 'request rejected', { requestId, status, route: event.route.id, error: errorName(error) });
		return { message: 'Bad Request', code: 'unexpected', requestId };
	}
	log('error', 'unhandled error', {
		requestId,
		status,
		route: event.route.id,
		error: errorName(error),
		stack: error instanceof Error ? error.stack : undefined
	});
	return { message: 'Internal Error', code: 'unexpected', requestId };
};
