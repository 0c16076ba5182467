import type { Cookies } from '@sveltejs/kit';
import { isLocale, type Locale } from '$lib/i18n/messages';

/** The cookie holds the API access token itself; it is httpOnly, so page scripts never see it. */
export const SESSION_COOKIE = 'samverka_session';
export const LANG_COOKIE = 'lang';

/** `url` is the request URL, which adapter-node derives from ORIGIN: https there means Secure. */
export function setSessionCookie(cookies: Cookies, url: URL, token: string, maxAgeSeconds: number): void {
	cookies.set(SESSION_COOKIE, token, {
		path: '/',
		httpOnly: true,
		sameSite: 'strict',
		secure: url.protocol === 'https:',
		maxAge: Math.max(0, Math.floor(maxAgeSeconds))
	});
}

export function clearSessionCookie(cookies: Cookies, url: URL): void {
	cookies.delete(SESSION_COOKIE, {
		path: '/',
		httpOnly: true,
		sameSite: 'strict',
		secure: url.protocol === 'https:'
	});
}

export function setLocaleCookie(cookies: Cookies, url: URL, locale: Locale): void {
	cookies.set(LANG_COOKIE, locale, {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		secure: url.protocol === 'https:',
		maxAge: 60 * 60 * 24 * 365
	});
}

export function readLocaleCookie(cookies: Cookies): Locale | null {
	const value = cookies.get(LANG_COOKIE);
	return isLocale(value) ? value : null;
}

/**
 * A path on this site to return to after signing in or switching language. Anything else
 * (absolute URLs, `//host`, backslashes) falls back to `/`, so the parameter cannot send the
 * user to another site.
 */
export function safeRedirectTarget(value: unknown): string {
	if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//')) return '/';
	// eslint-disable-next-line no-control-regex -- control characters are what this refuses
	if (value.includes('\\') || /[\u0000-\u001f]/.test(value)) return '/';
	return value;
}
