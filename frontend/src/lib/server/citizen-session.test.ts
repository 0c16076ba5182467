import type { Cookies } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import { clearCitizenCookie, isCitizenPath, readCitizenCookie, safeCitizenTarget, setCitizenCookie } from './citizen-session';

type Options = Parameters<Cookies['set']>[2];

/** Records what the app asks SvelteKit to send. */
function recorder(jar: Record<string, string> = {}) {
	const calls: { op: 'set' | 'delete'; name: string; value?: string; options: Options }[] = [];
	const cookies = {
		get: (name: string) => jar[name],
		set: (name: string, value: string, options: Options) => calls.push({ op: 'set', name, value, options }),
		delete: (name: string, options: Options) => calls.push({ op: 'delete', name, options })
	} as unknown as Cookies;
	return { cookies, calls };
}

describe('the citizen cookie', () => {
	it('over https is __Host-prefixed, httpOnly, SameSite=Strict, and lives as long as the session', () => {
		const { cookies, calls } = recorder();
		const url = new URL('https://samverka.example.kommun.se/citizen/login/callback');
		setCitizenCookie(cookies, url, 'citizen-token', 1800);
		clearCitizenCookie(cookies, url);
		for (const call of calls) {
			expect(call.name).toBe('__Host-samverka_citizen');
			expect(call.options).toMatchObject({ path: '/', secure: true, httpOnly: true, sameSite: 'strict' });
			expect(call.options).not.toHaveProperty('domain');
		}
		expect(calls[0]).toMatchObject({ op: 'set', value: 'citizen-token', options: { maxAge: 1800 } });
		expect(calls.map((c) => c.op)).toEqual(['set', 'delete']);
	});

	it('over http (development) has the plain name, without Secure, and is never the staff cookie', () => {
		const url = new URL('http://127.0.0.1:5173/citizen');
		const { cookies, calls } = recorder({ samverka_session: 'staff-token' });
		expect(readCitizenCookie(cookies, url)).toBeNull();
		setCitizenCookie(cookies, url, 'citizen-token', 1800);
		expect(calls[0]).toMatchObject({ name: 'samverka_citizen', options: { secure: false } });
		expect(readCitizenCookie(recorder({ samverka_citizen: 'citizen-token' }).cookies, url)).toBe('citizen-token');
	});
});

describe('the citizen area', () => {
	it('is /citizen and what lies under it, nothing else', () => {
		expect(isCitizenPath('/citizen')).toBe(true);
		expect(isCitizenPath('/citizen/consents')).toBe(true);
		expect(isCitizenPath('/citizens')).toBe(false);
		expect(isCitizenPath('/cases/1')).toBe(false);
	});

	it('returns after sign-in only to a citizen page on this site', () => {
		expect(safeCitizenTarget('/citizen/requests')).toBe('/citizen/requests');
		expect(safeCitizenTarget('/citizen/disclosures?subjectId=1')).toBe('/citizen/disclosures?subjectId=1');
		for (const bad of [
			'https://evil.example/citizen',
			'//evil.example/citizen',
			'/cases/1',
			'/citizen/..\\x',
			'/citizen//evil',
			'/citizen/../cases',
			'/citizen/%2E%2E/cases',
			null,
			42
		]) {
			expect(safeCitizenTarget(bad)).toBe('/citizen');
		}
	});
});
