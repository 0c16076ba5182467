import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, demoPassword, demoUser, expectNoSeriousA11yViolations, launchBrowser, login, openPage, SESSION_COOKIE } from './helpers';

let browser: Browser;

beforeAll(async () => {
	browser = await launchBrowser();
});

afterAll(async () => {
	await browser?.close();
});

describe('signing in', () => {
	it('shows an accessible Swedish login page', async () => {
		const { context, page } = await openPage(browser);
		await page.goto('/');
		expect(page.url()).toBe(`${baseUrl()}/login`);
		expect(await page.title()).toBe('Logga in – Samverka');
		expect(await page.locator('html').getAttribute('lang')).toBe('sv');
		expect(await page.locator('header').count()).toBeGreaterThan(0);
		expect(await page.locator('main#main').count()).toBe(1);
		expect(await page.locator('footer').count()).toBe(1);
		expect(await page.locator('#username').getAttribute('autocomplete')).toBe('username');
		expect(await page.locator('#password').getAttribute('autocomplete')).toBe('current-password');
		await expectNoSeriousA11yViolations(page);
		await context.close();
	});

	it('says so in Swedish when the password is wrong, and moves focus to the message', async () => {
		const { context, page } = await openPage(browser);
		await page.goto('/login');
		await page.locator('#username').fill('social');
		await page.locator('#password').fill('not-the-password');
		await page.locator('form.form button[type="submit"]').click();

		const summary = page.locator('.error-summary[role="alert"]');
		await summary.waitFor();
		expect(await summary.textContent()).toContain('Fel användarnamn eller lösenord');
		await page.waitForFunction(() => document.activeElement?.classList.contains('error-summary'));
		expect(await page.locator('#password').getAttribute('aria-describedby')).toBe('login-error-message');
		expect(await page.locator('#password').getAttribute('aria-invalid')).toBe('true');
		expect(await page.locator('#password').inputValue()).toBe('');
		expect(await page.locator('#username').inputValue()).toBe('social');
		await expectNoSeriousA11yViolations(page);
		await context.close();
	});

	it('works without JavaScript', async () => {
		const { context, page } = await openPage(browser, { javaScriptEnabled: false });
		await page.goto('/login');
		await page.locator('#username').fill('school');
		await page.locator('#password').fill('not-the-password');
		await page.locator('form.form button[type="submit"]').click();
		await page.locator('.error-summary').waitFor();
		expect(await page.locator('.error-summary').textContent()).toContain('Fel användarnamn eller lösenord');

		await page.locator('#password').fill(demoPassword());
		await page.locator('form.form button[type="submit"]').click();
		await page.waitForURL(`${baseUrl()}/`);
		expect(await page.locator('h1').textContent()).toBe('Start');

		await page.locator('button', { hasText: 'In English' }).click();
		await page.waitForURL(`${baseUrl()}/`);
		expect(await page.locator('html').getAttribute('lang')).toBe('en');

		await page.locator('button', { hasText: 'Sign out' }).click();
		await page.waitForURL(/\/login/);
		expect(await page.locator('h1').textContent()).toBe('Sign in to Samverka');
		await context.close();
	});

	it('signs in the social worker, who sees the start page with their name and agency', async () => {
		const who = await demoUser('social');
		const { context, page } = await openPage(browser);
		await login(page, 'social');
		expect(await page.title()).toBe('Start – Samverka');
		expect(await page.locator('h1').textContent()).toBe('Start');
		const main = (await page.locator('main').textContent()) ?? '';
		expect(main).toContain(`Välkommen, ${who.displayName}!`);
		expect(main).toContain(who.agencyName);
		expect(await page.getByTestId('user-name').textContent()).toBe(who.displayName);
		expect(await page.getByTestId('user-agency').textContent()).toBe(who.agencyName);
		expect(await page.getByTestId('user-roles').textContent()).toContain('Socialsekreterare');
		expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Start');
		await expectNoSeriousA11yViolations(page);
		await context.close();
	});

	it('can be done with the keyboard alone', async () => {
		const { context, page } = await openPage(browser);
		await page.goto('/login');
		const focusedId = () => page.evaluate(() => document.activeElement?.id ?? '');

		await page.keyboard.press('Tab');
		expect(await page.evaluate(() => document.activeElement?.classList.contains('skip-link'))).toBe(true);
		for (let i = 0; i < 10 && (await focusedId()) !== 'username'; i++) await page.keyboard.press('Tab');
		expect(await focusedId()).toBe('username');
		await page.keyboard.type('social');
		await page.keyboard.press('Tab');
		expect(await focusedId()).toBe('password');
		await page.keyboard.type(demoPassword());
		await page.keyboard.press('Enter');
		await page.waitForURL(`${baseUrl()}/`);
		expect(await page.locator('h1').textContent()).toBe('Start');
		await context.close();
	});

	it('keeps the token in an httpOnly, SameSite=Strict cookie that scripts cannot read', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'social');
		const session = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
		expect(session).toBeDefined();
		expect(session?.httpOnly).toBe(true);
		expect(session?.sameSite).toBe('Strict');
		expect(session?.path).toBe('/');
		expect(session?.value.length).toBeGreaterThan(10);
		const visible = await page.evaluate(() => document.cookie);
		expect(visible).not.toContain(SESSION_COOKIE);
		expect(visible).not.toContain(session?.value ?? '');
		const html = await page.content();
		expect(html).not.toContain(session?.value ?? '');
		await context.close();
	});
});

describe('signed in', () => {
	it('switches to English and back', async () => {
		const who = await demoUser('social');
		const { context, page } = await openPage(browser);
		await login(page, 'social');
		await page.locator('button', { hasText: 'In English' }).click();
		await page.locator('h2', { hasText: `Welcome, ${who.displayName}!` }).waitFor();
		expect(await page.locator('html').getAttribute('lang')).toBe('en');
		expect(await page.title()).toBe('Start – Samverka');
		expect(await page.getByTestId('user-roles').textContent()).toContain('Social worker');
		expect(await page.locator('button', { hasText: 'Sign out' }).count()).toBe(1);

		// The choice is remembered on a full reload, rendered by the server.
		await page.reload();
		expect(await page.locator('h2').first().textContent()).toBe(`Welcome, ${who.displayName}!`);
		expect(await page.locator('html').getAttribute('lang')).toBe('en');
		await expectNoSeriousA11yViolations(page);

		await page.locator('button', { hasText: 'På svenska' }).click();
		await page.locator('h2', { hasText: `Välkommen, ${who.displayName}!` }).waitFor();
		expect(await page.locator('html').getAttribute('lang')).toBe('sv');
		await context.close();
	});

	it('signs out, and the old session cookie no longer works', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'social');
		const old = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
		expect(old).toBeDefined();

		await page.locator('button', { hasText: 'Logga ut' }).click();
		await page.waitForURL(/\/login/);
		expect(await page.locator('[role="status"]').textContent()).toContain('Du är nu utloggad');
		expect((await context.cookies()).find((c) => c.name === SESSION_COOKIE)).toBeUndefined();

		// Put the old token back: the API revoked the session, so it must not sign anyone in.
		await context.addCookies([{ ...old!, expires: Math.floor(Date.now() / 1000) + 600 }]);
		await page.goto('/');
		expect(new URL(page.url()).pathname).toBe('/login');
		expect((await context.cookies()).find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
		await context.close();
	});
});
