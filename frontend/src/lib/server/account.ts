import type { paths } from '$lib/api/schema';
import type { Call, Json } from './http';

/** The second step of a local sign-in and the signed-in user's own account. Server-side only. */

export type SecondStepSession = Json<paths['/api/auth/mfa']['post']['responses'][200]>;
export type TotpEnrolment = Json<paths['/api/auth/mfa/totp']['post']['responses'][200]>;
export type SecondFactorStatus = Json<paths['/api/me/mfa']['get']['responses'][200]>;
export type OwnSession = Json<paths['/api/me/sessions']['get']['responses'][200]>[number];

export function createAccountApi(call: Call) {
	return {
		/** Whether the seeded demo users sign in without a second factor (a demo start). */
		async secondFactorNotes(): Promise<{ demoUsersExempt: boolean }> {
			return (await (await call('GET', '/api/auth/second-factor')).json()) as { demoUsersExempt: boolean };
		},

		/** The second step: a TOTP code or a recovery code with the challenge; 401 wrong code or expired challenge, 429 throttled. */
		async secondStep(body: { challenge: string; code?: string; recoveryCode?: string }): Promise<SecondStepSession> {
			return (await (await call('POST', '/api/auth/mfa', body)).json()) as SecondStepSession;
		},

		/** Sets up TOTP with an `enrol` challenge: the otpauth URI and its QR code. */
		async enrolWithChallenge(challenge: string): Promise<TotpEnrolment> {
			return (await (await call('POST', '/api/auth/mfa/totp', { challenge })).json()) as TotpEnrolment;
		},

		/** 400 with `wrong_current_password` or a password rule's code (`password_too_short`, `password_common`, …). */
		async changePassword(currentPassword: string, newPassword: string): Promise<void> {
			await call('POST', '/api/me/password', { currentPassword, newPassword });
		},

		async secondFactor(): Promise<SecondFactorStatus> {
			return (await (await call('GET', '/api/me/mfa')).json()) as SecondFactorStatus;
		},

		/** Starts TOTP set-up (the current password again); 409 when a factor is already set up. */
		async startEnrolment(password: string): Promise<TotpEnrolment> {
			return (await (await call('POST', '/api/me/mfa/totp', { password })).json()) as TotpEnrolment;
		},

		/** Confirms the set-up with the first code; the recovery codes, this once. */
		async confirmEnrolment(code: string): Promise<string[]> {
			return ((await (await call('POST', '/api/me/mfa/totp/confirm', { code })).json()) as { recoveryCodes: string[] }).recoveryCodes;
		},

		async sessions(): Promise<OwnSession[]> {
			return (await (await call('GET', '/api/me/sessions')).json()) as OwnSession[];
		},

		/** Ends one of my sessions; 404 when it is not mine or already ended. */
		async endSession(id: string): Promise<void> {
			await call('DELETE', '/api/me/sessions/{id}', undefined, { params: { id } });
		}
	};
}

export type AccountApi = ReturnType<typeof createAccountApi>;
