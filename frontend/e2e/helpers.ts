import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { generate } from 'otplib';
import { expect, inject } from 'vitest';

export const baseUrl = (): string => inject('BASE_URL');
export const apiUrl = (): string => inject('API_URL');
export const demoPassword = (): string => inject('DEMO_PASSWORD');

export const SESSION_COOKIE = 'samverka_session';

export function launchBrowser(): Promise<Browser> {
	return chromium.launch({
		executablePath: inject('CHROMIUM_PATH'),
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync'
		]
	});
}

/** A fresh context (no cookies) with one page on the app. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ baseURL: baseUrl(), locale: 'sv-SE', ...options });
	const page = await context.newPage();
	if (options.javaScriptEnabled !== false) {
		// Wait for hydration after every page load: text typed into a server-rendered field
		// before hydration can be lost, and a click can then submit an empty form.
		const goto = page.goto.bind(page);
		page.goto = async (url, gotoOptions) => {
			const response = await goto(url, gotoOptions);
			// Only app pages hydrate (not downloads, nor the static fallback error page).
			if (response?.headers()['content-type']?.includes('text/html')) {
				await page
					.locator('html[data-hydrated="true"]')
					.waitFor({ state: 'attached', timeout: 10_000 })
					.catch(() => undefined);
			}
			return response;
		};
	}
	return { context, page };
}

/**
 * Signs in through the form, as a user would, and waits for the start page. A user with a second
 * factor (not the demo users) also answers the code step: pass `totpCode`, which gives the code
 * their authenticator app shows (e.g. otplib's `generate` with the secret from the set-up page).
 */
export async function login(page: Page, username: string, password = demoPassword(), totpCode?: () => Promise<string>): Promise<void> {
	await page.goto('/login');
	await page.locator('#username').fill(username);
	await page.locator('#password').fill(password);
	await page.locator('form.form button[type="submit"]').click();
	if (totpCode) {
		await page.waitForURL(`${baseUrl()}/login/verify`);
		await page.locator('#code').fill(await totpCode());
		await page.locator('form.form button[type="submit"]').click();
	}
	await page.waitForURL(`${baseUrl()}/`);
}

/** What a user's authenticator app holds: `nextCode()` gives a code for a time step the API has not accepted yet. */
export interface Authenticator {
	nextCode(): Promise<string>;
}

function authenticator(secret: string): Authenticator {
	let lastStep = -1;
	return {
		async nextCode() {
			const now = Math.floor(Date.now() / 30_000);
			const step = [now, now + 1].find((s) => s > lastStep);
			if (step === undefined) throw new Error('no unused time step left: wait for the next one');
			lastStep = step;
			return generate({ secret, epoch: step * 30 });
		}
	};
}

async function post<T>(path: string, body: unknown, token?: string): Promise<T> {
	const response = await fetch(`${apiUrl()}${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
		body: JSON.stringify(body)
	});
	if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
	return (response.status === 204 ? undefined : await response.json()) as T;
}

/**
 * The first sign-in of an account an admin created, through the API as the user would do it: the
 * one-time password, TOTP set-up when the policy asks for it, then the user's own password. Pass
 * the answer's `nextCode` to `login()` to sign in in the browser afterwards.
 */
export async function firstSignIn(username: string, initialPassword: string, password: string): Promise<Authenticator | null> {
	let session = await post<{ accessToken?: string; challenge?: string; secondFactor?: string }>('/api/auth/login', {
		username,
		password: initialPassword
	});
	let device: Authenticator | null = null;
	if (session.secondFactor === 'enrol') {
		const { otpauthUri } = await post<{ otpauthUri: string }>('/api/auth/mfa/totp', { challenge: session.challenge });
		device = authenticator(new URL(otpauthUri).searchParams.get('secret')!);
		session = await post('/api/auth/mfa', { challenge: session.challenge, code: await device.nextCode() });
	}
	await post('/api/me/password', { currentPassword: initialPassword, newPassword: password }, session.accessToken);
	return device;
}

/** What the API says about a demo user, so tests need not repeat the seed data. */
export async function demoUser(username: string): Promise<{ displayName: string; agencyName: string }> {
	const login = await fetch(`${apiUrl()}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ username, password: demoPassword() })
	});
	if (!login.ok) throw new Error(`demo login for ${username} failed: ${login.status}`);
	const { accessToken } = (await login.json()) as { accessToken: string };
	const headers = { authorization: `Bearer ${accessToken}` };
	try {
		const me = await fetch(`${apiUrl()}/api/me`, { headers });
		const body = (await me.json()) as { displayName: string; agency: { name: string } };
		return { displayName: body.displayName, agencyName: body.agency.name };
	} finally {
		await fetch(`${apiUrl()}/api/auth/logout`, { method: 'POST', headers });
	}
}

interface AxeViolation {
	id: string;
	impact?: string | null;
	help: string;
	helpUrl: string;
	nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Runs axe-core (WCAG 2.0/2.1 A and AA) on the page and fails on any serious or critical finding. */
export async function expectNoSeriousA11yViolations(page: Page): Promise<void> {
	// The app's CSP forbids inline scripts, so axe is evaluated over the DevTools protocol
	// instead of being added as a <script> element.
	const present = await page.evaluate(() => typeof (window as { axe?: unknown }).axe !== 'undefined');
	if (!present) await page.evaluate(axe.source);
	const violations = await page.evaluate(async () => {
		const result = await (window as unknown as { axe: typeof axe }).axe.run(document, {
			runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']
		});
		return result.violations.map((v) => ({
			id: v.id,
			impact: v.impact ?? null,
			help: v.help,
			helpUrl: v.helpUrl,
			nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary }))
		}));
	});
	const serious = (violations as AxeViolation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
	const report = serious
		.map((v) => {
			const nodes = v.nodes.map((n) => `    ${JSON.stringify(n.target)}: ${n.failureSummary ?? ''}`.replace(/\n/g, ' ')).join('\n');
			return `[${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}`;
		})
		.join('\n');
	expect(serious, `axe found serious accessibility violations on ${page.url()}:\n${report}`).toEqual([]);
}
