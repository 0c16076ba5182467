import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, demoPassword, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * The start page as the day's work: a partner whose consent covers the plan finds the action its
 * agency is responsible for, with a link to the case's plan; it can turn its daily e-mail off.
 */

let browser: Browser;
const suffix = String(Math.floor(Math.random() * 100000));
const action = `Närvaroplan med mentor ${suffix}`;
let caseId = '';

/** A valid personnummer (Luhn check digit) of an adult, new to this run. */
function adultPersonnummer(): string {
	const nine = `880303${String(100 + Math.floor(Math.random() * 900))}`;
	let sum = 0;
	for (let i = 0; i < 9; i++) {
		let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
		if (d > 9) d -= 9;
		sum += d;
	}
	return `19${nine}${(10 - (sum % 10)) % 10}`;
}

async function token(username: string): Promise<string> {
	const res = await fetch(`${apiUrl()}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ username, password: demoPassword() })
	});
	return ((await res.json()) as { accessToken: string }).accessToken;
}

async function api<T>(bearer: string, method: string, path: string, body?: unknown): Promise<T> {
	const res = await fetch(`${apiUrl()}${path}`, {
		method,
		headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		...(body === undefined ? {} : { body: JSON.stringify(body) })
	});
	if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
	return (await res.json()) as T;
}

const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
	browser = await launchBrowser();
	const social = await token('social');
	const me = await api<{ agencyId: string }>(social, 'GET', '/api/me');
	const school = await api<{ agencyId: string }>(await token('school'), 'GET', '/api/me');
	const created = await api<{ id: string }>(social, 'POST', '/api/cases', {
		type: 'sspf',
		area: 'Norrby',
		reason: 'Hög frånvaro.',
		agencyIds: [school.agencyId],
		subject: { personalIdentityNumber: adultPersonnummer(), firstName: 'Stina', lastName: `Startsson${suffix}` }
	});
	caseId = created.id;
	await api(social, 'POST', `/api/cases/${caseId}/consents`, {
		givenBy: { kind: 'subject' },
		agencyIds: [me.agencyId, school.agencyId],
		categories: ['identity', 'plan'],
		purpose: 'Samordnat stöd',
		validFrom: isoDay(-1),
		validTo: isoDay(300),
		method: 'written',
		evidenceRef: 'dok:2026/0077'
	});
	await api(social, 'POST', `/api/cases/${caseId}/plan-items`, {
		lifeArea: 'school',
		goal: 'Närvaro över 80 %',
		action,
		responsibleAgencyId: school.agencyId,
		dueDate: isoDay(2)
	});
});

afterAll(async () => {
	await browser?.close();
});

describe('the start page of a partner', () => {
	let page: Page;

	beforeAll(async () => {
		({ page } = await openPage(browser));
		await login(page, 'school');
	});

	afterAll(async () => {
		await page?.context().close();
	});

	it('shows the action its agency is due to do, linked to the case plan', async () => {
		await page.getByRole('heading', { name: 'Att göra i dag' }).waitFor();
		const link = page.getByTestId('agenda-plan').locator('a', { hasText: action });
		await link.waitFor();
		expect(await link.getAttribute('href')).toBe(`/cases/${caseId}/plan`);
		expect(await page.getByTestId('agenda-plan').textContent()).toContain(`Startsson${suffix}`);
		await expectNoSeriousA11yViolations(page);
		await link.click();
		await page.waitForURL(`**/cases/${caseId}/plan`);
	});

	it('turns the daily e-mail off, and on again', async () => {
		await page.goto('/');
		await page.locator('button', { hasText: 'Stäng av det dagliga brevet' }).click();
		await page.getByTestId('digest-setting').locator('p', { hasText: 'Du får inget dagligt e-postbrev.' }).waitFor();
		await page.locator('button', { hasText: 'Slå på det dagliga brevet' }).click();
		await page.locator('button', { hasText: 'Stäng av det dagliga brevet' }).waitFor();
		expect(await page.getByTestId('digest-setting').textContent()).toContain('johan.ek@example.org');
	});
});
