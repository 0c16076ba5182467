import type { Cookies } from '@sveltejs/kit';
import { safeRedirectTarget } from '$lib/server/session';

/**
 * Binds a started OpenID sign-in to the browser that started it: the `state` sent to the provider
 * and where to go afterwards, in an httpOnly cookie. The callback is refused unless the state it
 * brings is this browser's own, so nobody can make another person's browser finish a sign-in
 * that they started (login CSRF). SameSite=Lax: the provider sends the browser back with a
 * top-level GET from its own site, which a Strict cookie would not survive.
 */
const NAME = 'samverka_oidc_flow';
const SECURE_NAME = '__Host-samverka_oidc_flow';
const MAX_AGE_SECONDS = 600;

const nameFor = (url: URL): string => (url.protocol === 'https:' ? SECURE_NAME : NAME);

export interface Flow {
	state: string;
	redirectTo: string;
}

export function setFlowCookie(cookies: Cookies, url: URL, flow: Flow): void {
	cookies.set(nameFor(url), Buffer.from(JSON.stringify(flow)).toString('base64url'), {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		secure: url.protocol === 'https:',
		maxAge: MAX_AGE_SECONDS
	});
}

/** The flow this browser started, read once: the cookie is removed whatever it holds. */
export function takeFlowCookie(cookies: Cookies, url: URL): Flow | null {
	const raw = cookies.get(nameFor(url));
	if (!raw) return null;
	cookies.delete(nameFor(url), { path: '/', httpOnly: true, sameSite: 'lax', secure: url.protocol === 'https:' });
	try {
		const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
		if (!value || typeof value !== 'object') return null;
		const { state, redirectTo } = value as Record<string, unknown>;
		return typeof state === 'string' && state ? { state, redirectTo: safeRedirectTarget(redirectTo) } : null;
	} catch {
		return null;
	}
}
