import { fail, redirect } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError, ApiUnavailableError } from '$lib/server/api';
import { safeRedirectTarget, setSessionCookie } from '$lib/server/session';
import { setStepCookie } from './step-cookie';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
	if (locals.user) redirect(303, safeRedirectTarget(url.searchParams.get('redirectTo')));
	// The organisations that sign in through their own provider; without an answer, the local form only.
	const signIn = await locals.api.oidc.providers().catch(() => ({ providers: [], localSignIn: true }));
	const notes = await locals.api.account.secondFactorNotes().catch(() => ({ demoUsersExempt: false }));
	return { signedOut: url.searchParams.has('signedOut'), ...signIn, demoUsersExempt: notes.demoUsersExempt };
};

interface LoginFailure {
	username: string;
	/** The summary message. */
	error: MessageKey;
	fieldErrors?: { username?: MessageKey; password?: MessageKey };
	retryAfterSeconds?: number | null;
}

export const actions = {
	default: async ({ request, cookies, locals, url }) => {
		const form = await request.formData();
		const username = String(form.get('username') ?? '').trim();
		const password = String(form.get('password') ?? '');

		const fieldErrors: LoginFailure['fieldErrors'] = {};
		if (!username) fieldErrors.username = 'login.error.usernameRequired';
		if (!password) fieldErrors.password = 'login.error.passwordRequired';
		if (fieldErrors.username || fieldErrors.password) {
			const error = fieldErrors.username ?? fieldErrors.password ?? 'login.error.invalid';
			return fail(400, { username, error, fieldErrors } satisfies LoginFailure);
		}

		let session;
		try {
			session = await locals.api.login({ username, password });
		} catch (error) {
			if (error instanceof ApiError && error.status === 429) {
				return fail(429, {
					username,
					error: 'login.error.throttled',
					retryAfterSeconds: error.retryAfterSeconds
				} satisfies LoginFailure);
			}
			if (error instanceof ApiError && error.status === 403) {
				return fail(403, { username, error: 'account.signIn.localDisabled' } satisfies LoginFailure);
			}
			if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
				// A malformed request (e.g. an over-long name) gets the same answer as wrong credentials.
				return fail(error.status, { username, error: 'login.error.invalid' } satisfies LoginFailure);
			}
			if (error instanceof ApiUnavailableError) {
				return fail(503, { username, error: 'login.error.unavailable' } satisfies LoginFailure);
			}
			throw error;
		}

		const redirectTo = safeRedirectTarget(url.searchParams.get('redirectTo'));
		if ('challenge' in session) {
			// The password was right; a second factor is needed (or must be set up) first.
			setStepCookie(cookies, url, { challenge: session.challenge, purpose: session.secondFactor, redirectTo }, session.expiresIn);
			redirect(303, session.secondFactor === 'enrol' ? '/login/enrol' : '/login/verify');
		}
		setSessionCookie(cookies, url, session.accessToken, session.expiresIn);
		redirect(303, session.mustChangePassword ? '/change-password' : redirectTo);
	}
} satisfies Actions;
