import type { Cookies } from '@sveltejs/kit';
import { isLocale, type Locale } from '../i18n/messages';

/**
 * The session cookie holds the API access token itself; it is httpOnly, so page scripts never see
 * it. Over https it is named `__Host-samverka_session`: a browser keeps a `__Host-` cookie only
 * when it is Secure, has Path=/ and no Domain, so no other subdomain and no plain-http page can
 * set or overwrite it (no session fixation from a sibling site). Over http — development on
 * 127.0.0.1, where browsers refuse Secure cookies except on localhost — it is the plain name,
 * without Secure. Which applies follows the request URL (adapter-node derives it from ORIGIN).
 */
export const SESSION_COOKIE = '__Host-samverka_session';
export const DEV_SESSION_COOKIE = 'samverka_session';

export function sessionCookieName(url: URL): string {
	return url.protocol === 'https:' ? SESSION_COOKIE : DEV_SESSION_COOKIE;
}

export function readSessionCookie(cookies: Cookies, url: URL): string | null {
	return cookies.get(sessionCookieName(url)) || null;
}
export const LANG_COOKIE = 'lang';

/** `url` is the request URL, which adapter-node derives from ORIGIN: https there means `__Host-` and Secure. */
export function setSessionCookie(cookies: Cookies, url: URL, token: string, maxAgeSeconds: number): void {
	cookies.set(sessionCookieName(url), token, {
		path: '/',
		httpOnly: true,
		sameSite: 'strict',
		secure: url.protocol === 'https:',
		maxAge: Math.max(0, Math.floor(maxAgeSeconds))
	});
}

export function clearSessionCookie(cookies: Cookies, url: URL): void {
	cookies.delete(sessionCookieName(url), {
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
