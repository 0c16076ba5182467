import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	apiUrl,
	demoPassword,
	expectNoSeriousA11yViolations,
	firstSignIn,
	launchBrowser,
	login,
	openPage,
	type Authenticator
} from './helpers';

/**
 * Case numbers and responsibility in the browser: a social worker finds a case by its number as
 * typed, sees it among "Mina ärenden" by default, hands it over to a colleague, and then finds it
 * only among all the unit's cases.
 */

let browser: Browser;
const suffix = String(Math.floor(Math.random() * 100000));
const colleague = { username: `kollega${suffix}`, displayName: `Kim Kollega${suffix}`, password: 'kollega-password-2026' };
const lastName = `Nummersson${suffix}`;

/** A valid personnummer (Luhn check digit) of an adult, new to this run. */
function adultPersonnummer(): string {
	const nine = `850101${String(100 + Math.floor(Math.random() * 900))}`;
	let sum = 0;
	for (let i = 0; i < 9; i++) {
		let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
		if (d > 9) d -= 9;
		sum += d;
	}
	return `19${nine}${(10 - (sum % 10)) % 10}`;
}
let caseId = '';
let colleagueApp: Authenticator | null = null;
let caseNumber = '';

async function api<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
	const res = await fetch(`${apiUrl()}${path}`, {
		method,
		headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		...(body === undefined ? {} : { body: JSON.stringify(body) })
	});
	if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
	return (await res.json()) as T;
}

async function token(username: string, password = demoPassword()): Promise<string> {
	const res = await fetch(`${apiUrl()}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ username, password })
	});
	if (!res.ok) throw new Error(`login ${username}: ${res.status}`);
	return ((await res.json()) as { accessToken: string }).accessToken;
}

beforeAll(async () => {
	browser = await launchBrowser();
	const social = await token('social');
	const me = await api<{ agencyId: string }>(social, 'GET', '/api/me');
	const added = await api<{ pendingRoleRequest: { id: string } | null; initialPassword: string }>(
		await token('admin'),
		'POST',
		'/api/admin/users',
		{
			username: colleague.username,
			displayName: colleague.displayName,
			agencyId: me.agencyId,
			roles: ['social_worker']
		}
	);
	// Four eyes: a second admin approves the social worker role.
	if (added.pendingRoleRequest) await api(await token('admin2'), 'POST', `/api/admin/role-requests/${added.pendingRoleRequest.id}/approve`);
	// The colleague's first sign-in: TOTP set up and an own password instead of the one-time one.
	colleagueApp = await firstSignIn(colleague.username, added.initialPassword, colleague.password);
	const created = await api<{ id: string; caseNumber: string }>(social, 'POST', '/api/cases', {
		type: 'avhoppare',
		area: 'Norrby',
		reason: 'Vill lämna ett kriminellt nätverk.',
		subject: { personalIdentityNumber: adultPersonnummer(), firstName: 'Adam', lastName }
	});
	caseId = created.id;
	caseNumber = created.caseNumber;
});

afterAll(async () => {
	await browser?.close();
});

describe('case number and responsibility', () => {
	let page: Page;

	beforeAll(async () => {
		({ page } = await openPage(browser));
		await login(page, 'social');
	});

	afterAll(async () => {
		await page?.context().close();
	});

	it('opens the case list on "Mina ärenden", with case numbers', async () => {
		await page.goto('/cases');
		expect(await page.locator('#scope-mine').isChecked()).toBe(true);
		const row = page.getByTestId('case-table').locator('tr', { hasText: lastName });
		expect(await row.getByTestId('case-number').textContent()).toBe(caseNumber);
		expect(caseNumber).toMatch(/^AVH-\d{4}-\d{4}$/);
	});

	it('finds the case by its number typed in lower case without dashes', async () => {
		await page.locator('#q').fill(caseNumber.toLowerCase().replaceAll('-', ''));
		await page.locator('#case-search button', { hasText: 'Sök' }).click();
		await page.locator('[role="status"]', { hasText: 'Sökningen gav 1 träff' }).waitFor();
		expect(await page.getByTestId('case-table').textContent()).toContain(lastName);
		await expectNoSeriousA11yViolations(page);
	});

	it('shows the number, the responsible caseworker and no deputy on the case', async () => {
		await page.goto(`/cases/${caseId}`);
		expect(await page.getByTestId('case-number').textContent()).toContain(caseNumber);
		expect(await page.getByTestId('case-responsible').textContent()).toBe('Sara Lind');
		expect(await page.getByTestId('case-deputy').textContent()).toBe('Ingen ersättare');
		await expectNoSeriousA11yViolations(page);
	});

	it('makes a colleague the deputy, then hands the case over to them', async () => {
		await page.locator('#deputyUserId').selectOption({ label: colleague.displayName });
		await page.locator('button', { hasText: 'Spara ersättare' }).click();
		await page.locator('[role="status"] .notice', { hasText: 'Ersättaren är sparad' }).waitFor();
		expect(await page.getByTestId('case-deputy').textContent()).toBe(colleague.displayName);

		await page.locator('#userId').selectOption({ label: colleague.displayName });
		await page.locator('button', { hasText: 'Lämna över ärendet' }).click();
		await page.locator('[role="status"] .notice', { hasText: 'Ärendet är överlämnat' }).waitFor();
		expect(await page.getByTestId('case-responsible').textContent()).toBe(colleague.displayName);
		expect(await page.getByTestId('case-deputy').textContent()).toBe('Ingen ersättare');
		const history = (await page.getByTestId('responsibility-history').textContent()) ?? '';
		expect(history).toContain(`Sara Lind lämnade över ärendet från Sara Lind till ${colleague.displayName}`);
		expect(history).toContain(`Sara Lind gjorde ${colleague.displayName} till ersättare`);
		await expectNoSeriousA11yViolations(page);
	});

	it('finds the handed-over case among all the unit\'s cases, no longer among "Mina ärenden"', async () => {
		await page.goto('/cases');
		expect(await page.locator('main').textContent()).not.toContain(lastName);
		await page.locator('#scope-all').check();
		await page.locator('#case-search button', { hasText: 'Sök' }).click();
		await page.waitForURL(/scope=all/);
		expect(await page.locator('#scope-all').isChecked()).toBe(true);
		expect(await page.getByTestId('case-table').textContent()).toContain(lastName);
	});

	it('shows the colleague the case under "Mina ärenden"', async () => {
		const { context, page: other } = await openPage(browser);
		await login(other, colleague.username, colleague.password, colleagueApp?.nextCode);
		await other.goto('/cases');
		expect(await other.getByTestId('case-table').textContent()).toContain(lastName);
		await context.close();
	});
});
