import { fail, redirect } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError, ApiUnavailableError } from '$lib/server/api';
import { problemCode } from '$lib/server/http';
import { safeRedirectTarget, setSessionCookie } from '$lib/server/session';
import { clearStepCookie, readStepCookie } from '../step-cookie';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url, cookies }) => {
	if (locals.user) redirect(303, '/');
	if (readStepCookie(cookies, url)?.purpose !== 'verify') redirect(303, '/login');
	return {};
};

interface StepFailure {
	error: MessageKey;
	retryAfterSeconds?: number | null;
	/** The challenge is spent or expired: only a new sign-in helps. */
	restart?: boolean;
}

export const actions = {
	default: async ({ request, cookies, locals, url }) => {
		const step = readStepCookie(cookies, url);
		if (!step) return fail(401, { error: 'account.secondStep.error.expired', restart: true } satisfies StepFailure);
		const typed = String((await request.formData()).get('code') ?? '').trim();
		if (!typed) return fail(400, { error: 'account.secondStep.error.required' } satisfies StepFailure);
		// Six digits are the app's code; anything else is taken as a recovery code.
		const answer = /^\d{6}$/.test(typed.replace(/\s/g, '')) ? { code: typed.replace(/\s/g, '') } : { recoveryCode: typed };
		let session;
		try {
			session = await locals.api.account.secondStep({ challenge: step.challenge, ...answer });
		} catch (error) {
			if (error instanceof ApiError && error.status === 429) {
				return fail(429, { error: 'account.secondStep.error.throttled', retryAfterSeconds: error.retryAfterSeconds } satisfies StepFailure);
			}
			if (error instanceof ApiError && problemCode(error) === 'challenge_invalid') {
				clearStepCookie(cookies, url);
				return fail(401, { error: 'account.secondStep.error.expired', restart: true } satisfies StepFailure);
			}
			if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
				return fail(401, { error: 'account.secondStep.error.wrong' } satisfies StepFailure);
			}
			if (error instanceof ApiUnavailableError) return fail(503, { error: 'login.error.unavailable' } satisfies StepFailure);
			throw error;
		}
		clearStepCookie(cookies, url);
		setSessionCookie(cookies, url, session.accessToken, session.expiresIn);
		redirect(303, session.mustChangePassword ? '/change-password' : safeRedirectTarget(step.redirectTo));
	}
} satisfies Actions;
