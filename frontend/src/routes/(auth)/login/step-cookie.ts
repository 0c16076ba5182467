import type { Cookies } from '@sveltejs/kit';
import { safeRedirectTarget } from '$lib/server/session';

/**
 * The second step of a local sign-in: the API's single-use challenge (given for a right password)
 * and where to go afterwards, in an httpOnly cookie until the code is given. Never in the URL: the
 * challenge stands in for the password for a few minutes.
 */
const NAME = 'samverka_signin_step';
const SECURE_NAME = '__Host-samverka_signin_step';

const nameFor = (url: URL): string => (url.protocol === 'https:' ? SECURE_NAME : NAME);
const options = (url: URL) => ({ path: '/', httpOnly: true, sameSite: 'strict' as const, secure: url.protocol === 'https:' });

export interface SignInStep {
	challenge: string;
	/** `verify`: a code of the enrolled factor; `enrol`: set up TOTP first. */
	purpose: 'verify' | 'enrol';
	redirectTo: string;
}

export function setStepCookie(cookies: Cookies, url: URL, step: SignInStep, maxAgeSeconds: number): void {
	cookies.set(nameFor(url), Buffer.from(JSON.stringify(step)).toString('base64url'), { ...options(url), maxAge: maxAgeSeconds });
}

export function readStepCookie(cookies: Cookies, url: URL): SignInStep | null {
	const raw = cookies.get(nameFor(url));
	if (!raw) return null;
	try {
		const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
		if (!value || typeof value !== 'object') return null;
		const { challenge, purpose, redirectTo } = value as Record<string, unknown>;
		if (typeof challenge !== 'string' || (purpose !== 'verify' && purpose !== 'enrol')) return null;
		return { challenge, purpose, redirectTo: safeRedirectTarget(redirectTo) };
	} catch {
		return null;
	}
}

export function clearStepCookie(cookies: Cookies, url: URL): void {
	cookies.delete(nameFor(url), options(url));
}
