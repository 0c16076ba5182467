import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, baseUrl, demoPassword, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * A new account's first days: an admin creates it and hands over the one-time password; the user
 * signs in with it, must set up a second factor (TOTP) and choose their own password, signs out,
 * signs in again with a code from the app, and ends another of their sign-ins on "Mitt konto".
 */

let browser: Browser;
let page: Page;
const suffix = Date.now().toString(36);
const username = `ny.partner.${suffix}`;
const ownPassword = 'blå-cykel-vid-ån-2026';
let initialPassword = '';
let secret = '';
let recoveryCodes: string[] = [];
/** The last time step a code was given for: the API accepts each step once. */
let lastStep = -1;

async function api<T>(token: string | null, method: string, path: string, body?: unknown): Promise<T> {
	const response = await fetch(`${apiUrl()}${path}`, {
		method,
		headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
		...(body ? { body: JSON.stringify(body) } : {})
	});
	if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
	return (await response.json()) as T;
}

/** The code the authenticator app shows, for a time step not yet used (now, or the next within the drift). */
async function nextCode(): Promise<string> {
	const now = Math.floor(Date.now() / 30_000);
	const step = [now, now + 1].find((s) => s > lastStep);
	if (step === undefined) throw new Error('no unused time step left');
	lastStep = step;
	return generate({ secret, epoch: step * 30 });
}

beforeAll(async () => {
	browser = await launchBrowser();
	const { accessToken } = await api<{ accessToken: string }>(null, 'POST', '/api/auth/login', {
		username: 'admin',
		password: demoPassword()
	});
	const options = await api<{ agencies: { id: string; kind: string }[] }>(
		(await api<{ accessToken: string }>(null, 'POST', '/api/auth/login', { username: 'social', password: demoPassword() })).accessToken,
		'GET',
		'/api/cases/options'
	);
	const school = options.agencies.find((a) => a.kind === 'school')!.id;
	const created = await api<{ initialPassword: string }>(accessToken, 'POST', '/api/admin/users', {
		username,
		displayName: 'Nora Nyström',
		agencyId: school,
		roles: ['partner']
	});
	initialPassword = created.initialPassword;
	({ page } = await openPage(browser));
});

afterAll(async () => {
	await browser?.close();
});

describe('own account: first sign-in, second factor, password, sessions', () => {
	it('the sign-in page says the second factor is off for the demo users only', async () => {
		await page.goto('/login');
		expect(await page.locator('#demo-second-factor').textContent()).toContain('demoanvändarna');
	});

	it('signs in with the one-time password and must set up TOTP first', async () => {
		await page.locator('#username').fill(username);
		await page.locator('#password').fill(initialPassword);
		await page.locator('form.form button[type="submit"]').click();
		await page.waitForURL(`${baseUrl()}/login/enrol`);
		await expectNoSeriousA11yViolations(page);
		secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '');
		expect(secret).toMatch(/^[A-Z2-7]{32}$/);
		expect(await page.locator('img.totp-qr').getAttribute('src')).toMatch(/^data:image\/png;base64,/);

		await page.locator('#code').fill('000000');
		await page.locator('form.form button[type="submit"]').click();
		await page.locator('.error-summary').waitFor();
		expect(await page.locator('.error-summary').textContent()).toContain('Koden stämmer inte');

		await page.locator('#code').fill(await nextCode());
		await page.locator('form.form button[type="submit"]').click();
		await page.getByTestId('recovery-codes').waitFor();
		recoveryCodes = (await page.getByTestId('recovery-codes').locator('code').allTextContents()).map((c) => c.trim());
		expect(recoveryCodes).toHaveLength(10);
		await expectNoSeriousA11yViolations(page);
	});

	it('must choose an own password before anything else', async () => {
		await page.getByRole('link', { name: 'Jag har sparat reservkoderna – fortsätt' }).click();
		await page.waitForURL(`${baseUrl()}/change-password`);
		await page.goto('/cases');
		await page.waitForURL(`${baseUrl()}/change-password`);
		await expectNoSeriousA11yViolations(page);

		await page.locator('#currentPassword').fill(initialPassword);
		await page.locator('#newPassword').fill('password1234');
		await page.locator('#confirmPassword').fill('password1234');
		await page.locator('form.form button[type="submit"]').click();
		await page.locator('.error-summary').waitFor();
		expect(await page.locator('#newPassword-error').textContent()).toContain('vanligaste');

		await page.locator('#currentPassword').fill(initialPassword);
		await page.locator('#newPassword').fill(ownPassword);
		await page.locator('#confirmPassword').fill(ownPassword);
		await page.locator('form.form button[type="submit"]').click();
		await page.waitForURL((url) => url.pathname === '/');
	});

	it('signs out, then signs in with the own password and a code from the app', async () => {
		await page.locator('form[action="/logout"] button').click();
		await page.waitForURL((url) => url.pathname === '/login');
		await page.locator('#username').fill(username);
		await page.locator('#password').fill(ownPassword);
		await page.locator('form.form button[type="submit"]').click();
		await page.waitForURL(`${baseUrl()}/login/verify`);
		await expectNoSeriousA11yViolations(page);
		await page.locator('#code').fill('000000');
		await page.locator('form.form button[type="submit"]').click();
		await page.locator('.error-summary').waitFor();
		expect(await page.locator('#code-error').textContent()).toContain('Koden stämmer inte');
		await expectNoSeriousA11yViolations(page);
		// Again from the start, as the shared helper signs in a user with a second factor.
		await login(page, username, ownPassword, nextCode);
	});

	it('sees its sign-ins on "Mitt konto" and ends another one at once', async () => {
		// A second sign-in elsewhere, with a recovery code (the phone's code for now is spent).
		const first = await api<{ challenge: string }>(null, 'POST', '/api/auth/login', { username, password: ownPassword });
		const other = await api<{ accessToken: string }>(null, 'POST', '/api/auth/mfa', {
			challenge: first.challenge,
			recoveryCode: recoveryCodes[0]
		});

		await page.getByRole('link', { name: 'Mitt konto' }).click();
		await page.waitForURL(`${baseUrl()}/account`);
		expect(await page.getByTestId('totp-status').textContent()).toContain('9 oanvända reservkoder');
		const rows = page.getByTestId('sessions').locator('tbody tr');
		expect(await rows.count()).toBe(2);
		await expectNoSeriousA11yViolations(page);

		await page
			.getByTestId('sessions')
			.getByRole('button', { name: /Avsluta inloggningen från/ })
			.click();
		await page.locator('.notice', { hasText: 'Inloggningen är avslutad.' }).waitFor();
		expect(await rows.count()).toBe(1);
		expect(await rows.first().textContent()).toContain('Den här inloggningen');
		const me = await fetch(`${apiUrl()}/api/me`, { headers: { authorization: `Bearer ${other.accessToken}` } });
		expect(me.status).toBe(401);
	});
});
