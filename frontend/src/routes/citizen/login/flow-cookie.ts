import type { Cookies } from '@sveltejs/kit';
import { safeCitizenTarget } from '$lib/server/citizen-session';

/**
 * Binds a started e-identification sign-in to the browser that started it (as the staff sign-in's
 * flow cookie does, under its own name so the two never mix): the `state` sent to the provider
 * and the citizen page to return to. The callback is refused unless it brings this browser's own
 * state (no login CSRF). SameSite=Lax: the provider sends the browser back with a top-level GET
 * from its own site, which a Strict cookie would not survive.
 */
const NAME = 'samverka_citizen_flow';
const SECURE_NAME = '__Host-samverka_citizen_flow';
const MAX_AGE_SECONDS = 600;

const nameFor = (url: URL): string => (url.protocol === 'https:' ? SECURE_NAME : NAME);
const options = (url: URL) => ({ path: '/', httpOnly: true, sameSite: 'lax' as const, secure: url.protocol === 'https:' });

export interface CitizenFlow {
	state: string;
	returnTo: string;
}

export function setFlowCookie(cookies: Cookies, url: URL, flow: CitizenFlow): void {
	cookies.set(nameFor(url), Buffer.from(JSON.stringify(flow)).toString('base64url'), { ...options(url), maxAge: MAX_AGE_SECONDS });
}

/** The flow this browser started, read once: the cookie is removed whatever it holds. */
export function takeFlowCookie(cookies: Cookies, url: URL): CitizenFlow | null {
	const raw = cookies.get(nameFor(url));
	if (!raw) return null;
	cookies.delete(nameFor(url), options(url));
	try {
		const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
		if (!value || typeof value !== 'object') return null;
		const { state, returnTo } = value as Record<string, unknown>;
		return typeof state === 'string' && state ? { state, returnTo: safeCitizenTarget(returnTo) } : null;
	} catch {
		return null;
	}
}
