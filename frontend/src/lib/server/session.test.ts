import type { Cookies } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from './session';

type Options = Parameters<Cookies['set']>[2];

/** Records what the app asks SvelteKit to send. */
function recorder(jar: Record<string, string> = {}) {
	const calls: { op: 'set' | 'delete'; name: string; options: Options }[] = [];
	const cookies = {
		get: (name: string) => jar[name],
		set: (name: string, _value: string, options: Options) => calls.push({ op: 'set', name, options }),
		delete: (name: string, options: Options) => calls.push({ op: 'delete', name, options })
	} as unknown as Cookies;
	return { cookies, calls };
}

describe('the session cookie', () => {
	it('over https is __Host-prefixed: Secure, Path=/, no Domain, httpOnly, SameSite=Strict', () => {
		const { cookies, calls } = recorder();
		const url = new URL('https://samverka.example.kommun.se/login');
		setSessionCookie(cookies, url, 'token', 900);
		clearSessionCookie(cookies, url);
		for (const call of calls) {
			expect(call.name).toBe('__Host-samverka_session');
			expect(call.options).toMatchObject({ path: '/', secure: true, httpOnly: true, sameSite: 'strict' });
			expect(call.options).not.toHaveProperty('domain');
		}
		expect(calls.map((c) => c.op)).toEqual(['set', 'delete']);
	});

	it('over https only the prefixed cookie counts: one set by a sibling site under the plain name is ignored', () => {
		const url = new URL('https://samverka.example.kommun.se/');
		expect(readSessionCookie(recorder({ samverka_session: 'planted' }).cookies, url)).toBeNull();
		expect(readSessionCookie(recorder({ '__Host-samverka_session': 'mine' }).cookies, url)).toBe('mine');
	});

	it('over http (development on 127.0.0.1) keeps the plain name without Secure, which the browser would refuse there', () => {
		const { cookies, calls } = recorder();
		const url = new URL('http://127.0.0.1:5173/login');
		setSessionCookie(cookies, url, 'token', 900);
		expect(calls[0]).toMatchObject({ name: 'samverka_session', options: { secure: false, path: '/', httpOnly: true } });
		expect(readSessionCookie(recorder({ samverka_session: 'dev' }).cookies, url)).toBe('dev');
	});
});
