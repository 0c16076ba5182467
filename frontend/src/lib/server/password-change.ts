import { fail, type ActionFailure } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError, ApiUnavailableError, type Api } from './api';
import { problemCode } from './http';

export interface PasswordFailure {
	action: 'password';
	error: MessageKey;
	fieldErrors: Partial<Record<'currentPassword' | 'newPassword' | 'confirmPassword', MessageKey>>;
	retryAfterSeconds?: number | null;
}

const RULES: Record<string, MessageKey> = {
	password_too_short: 'account.password.error.tooShort',
	password_too_long: 'account.password.error.tooLong',
	password_common: 'account.password.error.common',
	password_contains_username: 'account.password.error.containsUsername',
	password_unchanged: 'account.password.error.unchanged'
};

/** The password change form of /change-password and /account: null when the password was changed. */
export async function changePassword(api: Api, form: FormData): Promise<ActionFailure<PasswordFailure> | null> {
	const currentPassword = String(form.get('currentPassword') ?? '');
	const newPassword = String(form.get('newPassword') ?? '');
	const confirmPassword = String(form.get('confirmPassword') ?? '');
	const fieldErrors: PasswordFailure['fieldErrors'] = {};
	if (!currentPassword) fieldErrors.currentPassword = 'account.password.error.currentRequired';
	if (!newPassword) fieldErrors.newPassword = 'account.password.error.newRequired';
	else if (confirmPassword !== newPassword) fieldErrors.confirmPassword = 'account.password.error.mismatch';
	const first = Object.values(fieldErrors)[0];
	if (first) return fail(400, { action: 'password', error: first, fieldErrors });
	try {
		await api.account.changePassword(currentPassword, newPassword);
		return null;
	} catch (error) {
		if (error instanceof ApiError && error.status === 429) {
			const e: MessageKey = 'account.password.error.throttled';
			return fail(429, { action: 'password', error: e, fieldErrors: {}, retryAfterSeconds: error.retryAfterSeconds });
		}
		if (error instanceof ApiError && error.status === 400) {
			const code = problemCode(error);
			if (code === 'wrong_current_password') {
				const e: MessageKey = 'account.password.error.wrongCurrent';
				return fail(400, { action: 'password', error: e, fieldErrors: { currentPassword: e } });
			}
			const e = RULES[code] ?? 'account.password.error.tooShort';
			return fail(400, { action: 'password', error: e, fieldErrors: { newPassword: e } });
		}
		if (error instanceof ApiUnavailableError) {
			const e: MessageKey = 'login.error.unavailable';
			return fail(503, { action: 'password', error: e, fieldErrors: {} });
		}
		throw error;
	}
}
