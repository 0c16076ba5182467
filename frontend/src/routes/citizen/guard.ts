import { error, redirect } from '@sveltejs/kit';
import { ApiError, ApiUnavailableError } from '$lib/server/api';
import { problemCode } from '$lib/server/http';
import type { CitizenApi, CitizenMe } from '$lib/server/citizen';

/** The signed-in citizen's API client and relations, or a redirect to the start page to sign in. */
export function signedIn(locals: App.Locals, me: CitizenMe | null): { api: CitizenApi; me: CitizenMe } {
	if (!locals.citizen || !me) redirect(303, '/citizen');
	return { api: locals.citizen, me };
}

/** An action's API client, or back to the start page when the sign-in has ended. */
export function citizenApi(locals: App.Locals): CitizenApi {
	if (!locals.citizen) redirect(303, '/citizen');
	return locals.citizen;
}

/** The page that signs the citizen in again and comes back to `returnTo` (a citizen path). */
export function signInAgain(returnTo: string): never {
	redirect(303, `/citizen/login/again?returnTo=${encodeURIComponent(returnTo)}`);
}

/**
 * The common answers to a failed call: a stale sign-in signs in again (and comes back), an ended
 * session goes to the start page, what the citizen may not see is "not found". Anything else is
 * returned for the caller to explain.
 */
export function handleApiError(e: unknown, locals: App.Locals, returnTo: string): ApiError | ApiUnavailableError {
	if (e instanceof ApiError) {
		if (e.status === 403 && problemCode(e) === 'reauthentication_required') signInAgain(returnTo);
		if (e.status === 401) redirect(303, '/citizen');
		if (e.status === 404) notFound(locals);
		return e;
	}
	if (e instanceof ApiUnavailableError) return e;
	throw e;
}

export function notFound(locals: App.Locals): never {
	error(404, { message: 'Not Found', code: 'not_found', requestId: locals.requestId });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string | null | undefined): value is string => typeof value === 'string' && UUID.test(value);
