import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, demoPassword, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * Words that fit the person: an avhoppare case about an adult speaks of "personen", never of
 * "den unge", and has no guardians section; a case about a 15-year-old keeps both. Personal
 * identity numbers are shown as YYYYMMDD-NNNN.
 */

let browser: Browser;
const suffix = String(Math.floor(Math.random() * 100000));

/** A valid personnummer (Luhn check digit), 12 digits, for a birth date `YYYYMMDD`, new to this run. */
function personnummer(birthDate: string): string {
	const nine = `${birthDate.slice(2)}${String(100 + Math.floor(Math.random() * 900))}`;
	let sum = 0;
	for (let i = 0; i < 9; i++) {
		let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
		if (d > 9) d -= 9;
		sum += d;
	}
	return `${birthDate.slice(0, 2)}${nine}${(10 - (sum % 10)) % 10}`;
}

/** `YYYYMMDD` of someone who turns `years` old this year, with the birthday already past. */
const bornYearsAgo = (years: number): string => `${new Date().getUTCFullYear() - years}0101`;

const adultPin = personnummer(bornYearsAgo(32));
const adultName = `Ronja Vuxensson${suffix}`;
const minorName = `Elsa Ungsson${suffix}`;
let adultCaseId = '';
let minorCaseId = '';

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
	const [adultFirst, adultLast] = adultName.split(' ') as [string, string];
	const [minorFirst, minorLast] = minorName.split(' ') as [string, string];
	adultCaseId = (
		await api<{ id: string }>(social, 'POST', '/api/cases', {
			type: 'avhoppare',
			area: 'Norrby',
			reason: 'Vill lämna ett kriminellt nätverk och behöver ett nytt boende.',
			subject: { personalIdentityNumber: adultPin, firstName: adultFirst, lastName: adultLast }
		})
	).id;
	minorCaseId = (
		await api<{ id: string }>(social, 'POST', '/api/cases', {
			type: 'sspf',
			area: 'Hulta',
			reason: 'Hög frånvaro och oro från skolan.',
			subject: {
				personalIdentityNumber: personnummer(bornYearsAgo(15)),
				firstName: minorFirst,
				lastName: minorLast,
				guardians: [{ firstName: 'Maria', lastName: minorLast, custody: true }]
			}
		})
	).id;
});

afterAll(async () => {
	await browser?.close();
});

describe('words that fit the person', () => {
	let page: Page;
	const main = async () => (await page.locator('main').textContent()) ?? '';

	beforeAll(async () => {
		({ page } = await openPage(browser));
		await login(page, 'social');
	});

	afterAll(async () => {
		await page?.context().close();
	});

	it("shows an adult's case with 'personen', no guardians and the number as YYYYMMDD-NNNN", async () => {
		await page.goto(`/cases/${adultCaseId}`);
		expect(await page.locator('#subject-heading').textContent()).toBe('Personen');
		const text = await main();
		expect(text).not.toMatch(/den unge|vårdnadshav/i);
		expect(text).toContain(`${adultPin.slice(0, 8)}-${adultPin.slice(8)}`);
		expect(text).toContain('De ser bara det som personen har samtyckt till.');
		expect(await page.getByTestId('guardians').count()).toBe(0);
		await expectNoSeriousA11yViolations(page);
	});

	it("asks an adult alone for consent, in the adult's words", async () => {
		await page.goto(`/cases/${adultCaseId}/consents`);
		const required = (await page.getByTestId('required-parties').textContent()) ?? '';
		expect(required).toContain('Personen är 32 år i dag. Från 18 år samtycker personen själv.');
		expect(required).toContain(`${adultName} (personen själv)`);
		expect(await main()).not.toMatch(/den unge|vårdnadshav/i);
		await expectNoSeriousA11yViolations(page);

		await page.goto(`/cases/${adultCaseId}/consents/new`);
		expect(await page.locator('.consent-form label', { hasText: `${adultName} (personen själv)` }).count()).toBe(1);
		expect(await main()).not.toMatch(/den unge|vårdnadshav/i);
		await expectNoSeriousA11yViolations(page);
	});

	it('leaves the empty guardian rows out of the new case form once the number shows an adult', async () => {
		await page.goto('/cases/new');
		expect(await page.locator('#guardians').count()).toBe(1);
		await page.locator('#pin').fill(`${adultPin.slice(0, 8)}-${adultPin.slice(8)}`);
		await page.locator('#guardians').waitFor({ state: 'detached' });
		expect(await main()).not.toMatch(/den unge|vårdnadshav/i);
		await expectNoSeriousA11yViolations(page);
		await page.locator('#pin').fill(personnummer(bornYearsAgo(16)));
		await page.locator('#guardians').waitFor();
	});

	it("keeps 'den unge' and the guardians for a 15-year-old", async () => {
		await page.goto(`/cases/${minorCaseId}`);
		expect(await page.locator('#subject-heading').textContent()).toBe('Den unge');
		expect(await page.getByTestId('guardians').textContent()).toContain('Maria');
		await page.goto(`/cases/${minorCaseId}/consents`);
		expect(await page.getByTestId('required-parties').textContent()).toContain('Den unge är 15 år i dag.');
	});
});
