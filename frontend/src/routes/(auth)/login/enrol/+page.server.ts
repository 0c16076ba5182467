import { fail, redirect } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError, ApiUnavailableError } from '$lib/server/api';
import { problemCode } from '$lib/server/http';
import { safeRedirectTarget, setSessionCookie } from '$lib/server/session';
import { secretOfUri } from '$lib/server/totp-display';
import { clearStepCookie, readStepCookie } from '../step-cookie';
import type { Actions, PageServerLoad } from './$types';

/**
 * First sign-in of an account that must have a second factor and has none: set up TOTP (the QR
 * code, or the key typed in), confirm with the first code, note the recovery codes shown once.
 */
export const load: PageServerLoad = async ({ locals, url, cookies }) => {
	// Also after the confirming action, in the same request without JS: the codes show from `form`.
	const step = readStepCookie(cookies, url);
	if (locals.user || step?.purpose !== 'enrol') return { enrolment: null };
	try {
		const enrolment = await locals.api.account.enrolWithChallenge(step.challenge);
		return { enrolment: { qrDataUrl: enrolment.qrDataUrl, secret: secretOfUri(enrolment.otpauthUri) } };
	} catch (error) {
		if (error instanceof ApiError && error.status === 401) {
			clearStepCookie(cookies, url);
			redirect(303, '/login');
		}
		throw error;
	}
};

interface EnrolFailure {
	error: MessageKey;
	retryAfterSeconds?: number | null;
	restart?: boolean;
}

export const actions = {
	default: async ({ request, cookies, locals, url }) => {
		const step = readStepCookie(cookies, url);
		if (step?.purpose !== 'enrol') return fail(401, { error: 'account.secondStep.error.expired', restart: true } satisfies EnrolFailure);
		const code = String((await request.formData()).get('code') ?? '').replace(/\s/g, '');
		if (!/^\d{6}$/.test(code)) return fail(400, { error: 'account.enrol.error.format' } satisfies EnrolFailure);
		let session;
		try {
			session = await locals.api.account.secondStep({ challenge: step.challenge, code });
		} catch (error) {
			if (error instanceof ApiError && error.status === 429) {
				return fail(429, {
					error: 'account.secondStep.error.throttled',
					retryAfterSeconds: error.retryAfterSeconds
				} satisfies EnrolFailure);
			}
			if (error instanceof ApiError && problemCode(error) === 'challenge_invalid') {
				clearStepCookie(cookies, url);
				return fail(401, { error: 'account.secondStep.error.expired', restart: true } satisfies EnrolFailure);
			}
			if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
				return fail(401, { error: 'account.enrol.error.wrong' } satisfies EnrolFailure);
			}
			if (error instanceof ApiUnavailableError) return fail(503, { error: 'login.error.unavailable' } satisfies EnrolFailure);
			throw error;
		}
		clearStepCookie(cookies, url);
		setSessionCookie(cookies, url, session.accessToken, session.expiresIn);
		// Shown on this page once; the user continues when they have noted them.
		return {
			recoveryCodes: session.recoveryCodes ?? [],
			next: session.mustChangePassword ? '/change-password' : safeRedirectTarget(step.redirectTo)
		};
	}
} satisfies Actions;
