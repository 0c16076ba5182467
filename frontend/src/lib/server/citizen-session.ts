import type { Cookies } from '@sveltejs/kit';

/**
 * The citizen's sign-in lives in its own cookie, apart from the staff session: a staff token is
 * never sent on a citizen's API call, nor the reverse. It holds the citizen access token itself,
 * httpOnly (page scripts never see it) and SameSite=Strict. Over https it is `__Host-` prefixed,
 * so only this host, over https, with Path=/, can set it; over http (development on 127.0.0.1)
 * the plain name without Secure. Its lifetime is the citizen session's: it is never refreshed.
 */
export const CITIZEN_COOKIE = '__Host-samverka_citizen';
export const DEV_CITIZEN_COOKIE = 'samverka_citizen';

export function citizenCookieName(url: URL): string {
	return url.protocol === 'https:' ? CITIZEN_COOKIE : DEV_CITIZEN_COOKIE;
}

export function readCitizenCookie(cookies: Cookies, url: URL): string | null {
	return cookies.get(citizenCookieName(url)) || null;
}

export function setCitizenCookie(cookies: Cookies, url: URL, token: string, maxAgeSeconds: number): void {
	cookies.set(citizenCookieName(url), token, {
		path: '/',
		httpOnly: true,
		sameSite: 'strict',
		secure: url.protocol === 'https:',
		maxAge: Math.max(0, Math.floor(maxAgeSeconds))
	});
}

export function clearCitizenCookie(cookies: Cookies, url: URL): void {
	cookies.delete(citizenCookieName(url), { path: '/', httpOnly: true, sameSite: 'strict', secure: url.protocol === 'https:' });
}

/** Whether a path belongs to the citizen's own pages (which never use the staff session). */
export function isCitizenPath(pathname: string): boolean {
	return pathname === '/citizen' || pathname.startsWith('/citizen/');
}

/** A place among the citizen's pages to return to after signing in; anything else is `/citizen`. */
export function safeCitizenTarget(value: unknown): string {
	if (typeof value !== 'string' || !isCitizenPath(value.split(/[?#]/)[0] ?? '')) return '/citizen';
	// eslint-disable-next-line no-control-regex -- control characters are what this refuses
	if (value.includes('\\') || value.includes('//') || /[\u0000-\u001f]/.test(value)) return '/citizen';
	// No dot segments, plain or encoded: `/citizen/../cases` would leave the citizen area.
	if (/\.\.|%2e/i.test(value)) return '/citizen';
	return value;
}
