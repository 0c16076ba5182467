import { fail } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError } from '$lib/server/api';
import { problemCode } from '$lib/server/http';
import { changePassword } from '$lib/server/password-change';
import { secretOfUri } from '$lib/server/totp-display';
import type { Actions, PageServerLoad } from './$types';

/** "Mitt konto": the own password, second factor and sessions. */
export const load: PageServerLoad = async ({ locals }) => {
	const [secondFactor, sessions] = await Promise.all([locals.api.account.secondFactor(), locals.api.account.sessions()]);
	return { secondFactor, sessions };
};

interface TotpFailure {
	action: 'totpStart' | 'totpConfirm';
	error: MessageKey;
	/** The set-up in progress, shown again after a wrong code. */
	enrolment?: { qrDataUrl: string; secret: string };
}

const failTotp = (status: number, f: TotpFailure) => fail(status, f);

export const actions = {
	password: async ({ request, locals }) => {
		const failure = await changePassword(locals.api, await request.formData());
		return failure ?? { action: 'password' as const, saved: 'account.password.saved' as MessageKey };
	},

	totpStart: async ({ request, locals }) => {
		const password = String((await request.formData()).get('password') ?? '');
		if (!password) return failTotp(400, { action: 'totpStart', error: 'account.password.error.currentRequired' });
		try {
			const e = await locals.api.account.startEnrolment(password);
			return { action: 'totpStart' as const, enrolment: { qrDataUrl: e.qrDataUrl, secret: secretOfUri(e.otpauthUri) } };
		} catch (error) {
			if (error instanceof ApiError && problemCode(error) === 'wrong_current_password') {
				return failTotp(400, { action: 'totpStart', error: 'account.password.error.wrongCurrent' });
			}
			if (error instanceof ApiError && error.status === 409)
				return failTotp(409, { action: 'totpStart', error: 'account.totp.error.already' });
			if (error instanceof ApiError && error.status === 429)
				return failTotp(429, { action: 'totpStart', error: 'account.totp.error.throttled' });
			throw error;
		}
	},

	totpConfirm: async ({ request, locals }) => {
		const form = await request.formData();
		const code = String(form.get('code') ?? '').replace(/\s/g, '');
		// The QR code and key travel with the form (the user's own, on their own session) so a wrong code can be retried.
		const enrolment = { qrDataUrl: String(form.get('qrDataUrl') ?? ''), secret: String(form.get('secret') ?? '') };
		const shown = enrolment.qrDataUrl.startsWith('data:image/png;base64,') ? enrolment : undefined;
		if (!/^\d{6}$/.test(code)) return failTotp(400, { action: 'totpConfirm', error: 'account.enrol.error.format', enrolment: shown });
		try {
			return { action: 'totpConfirm' as const, recoveryCodes: await locals.api.account.confirmEnrolment(code) };
		} catch (error) {
			if (error instanceof ApiError && error.status === 429) {
				return failTotp(429, { action: 'totpConfirm', error: 'account.totp.error.throttled', enrolment: shown });
			}
			if (error instanceof ApiError && error.status === 400) {
				return failTotp(400, { action: 'totpConfirm', error: 'account.enrol.error.wrong', enrolment: shown });
			}
			throw error;
		}
	},

	endSession: async ({ request, locals }) => {
		const id = String((await request.formData()).get('id') ?? '');
		try {
			await locals.api.account.endSession(id);
		} catch (error) {
			// Already ended (or never one of mine): the list below shows what is live now.
			if (!(error instanceof ApiError && (error.status === 404 || error.status === 400))) throw error;
		}
		return { action: 'endSession' as const, saved: 'account.sessions.ended' as MessageKey };
	}
} satisfies Actions;
