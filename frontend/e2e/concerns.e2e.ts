import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, baseUrl, demoPassword, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * Concerns end to end: a school counsellor raises a concern about a young person who already has a
 * case; the intake of social services sees it with the marker, opens it (the counsellor then sees
 * "being assessed" and nothing else), and opens a case from it, landing on the new case; the
 * counsellor sees only "closed". The accessibility check runs on every page on the way.
 */

let browser: Browser;
let school: Page;
let social: Page;
let reference = '';

/** A valid personnummer (Luhn check digit) for a 14-year-old, different on every run. */
function personnummer(): string {
	const year = new Date().getUTCFullYear() - 14;
	const nine = `${String(year).slice(2)}0${1 + Math.floor(Math.random() * 9)}1${Math.floor(Math.random() * 9)}${100 + Math.floor(Math.random() * 900)}`;
	let sum = 0;
	for (let i = 0; i < 9; i++) {
		let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
		if (d > 9) d -= 9;
		sum += d;
	}
	return `${String(year).slice(0, 2)}${nine}${(10 - (sum % 10)) % 10}`;
}
const PIN = personnummer();
/** The same number with its check digit changed: fails the Luhn check. */
const WRONG = `${PIN.slice(0, 11)}${(Number(PIN[11]) + 1) % 10}`;

async function api<T>(token: string | null, method: string, path: string, body?: unknown): Promise<T> {
	const response = await fetch(`${apiUrl()}${path}`, {
		method,
		headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
		...(body ? { body: JSON.stringify(body) } : {})
	});
	if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
	return (await response.json()) as T;
}

async function statusOf(page: Page, ref: string): Promise<string> {
	await page.goto('/concerns?status=all');
	const row = page.locator('[data-testid="concern-row"]', { hasText: ref });
	return (await row.locator('[data-testid="concern-status"]').textContent())?.trim() ?? '';
}

beforeAll(async () => {
	browser = await launchBrowser();
	// The person already has a case with social services: the intake's marker shows it.
	const { accessToken } = await api<{ accessToken: string }>(null, 'POST', '/api/auth/login', {
		username: 'social',
		password: demoPassword()
	});
	await api(accessToken, 'POST', '/api/cases', {
		type: 'sspf',
		area: 'Norrby',
		reason: 'Tidigare oro.',
		subject: { personalIdentityNumber: PIN, firstName: 'Oro', lastName: 'Testsson', guardians: [] }
	});
	school = (await openPage(browser)).page;
	social = (await openPage(browser)).page;
	await login(school, 'school');
	await login(social, 'social');
});

afterAll(async () => {
	await browser?.close();
});

describe('concerns', () => {
	it('the counsellor raises a concern; each mistake is named on its field', async () => {
		await school.goto('/concerns');
		await expectNoSeriousA11yViolations(school);
		await school.getByRole('link', { name: 'Ny orosanmälan' }).click();
		await school.waitForURL(`${baseUrl()}/concerns/new`);
		await expectNoSeriousA11yViolations(school);

		await school.locator('#pin').fill(WRONG);
		await school.getByRole('button', { name: 'Skicka orosanmälan' }).click();
		await expect.poll(() => school.locator('.error-summary').isVisible()).toBe(true);
		expect(await school.locator('#pin-error').textContent()).toContain('Kontrollera siffrorna');
		expect(await school.locator('#observation-error').textContent()).toContain('Beskriv');
		await expectNoSeriousA11yViolations(school);

		await school.locator('#pin').fill(PIN);
		await school.locator('#area').selectOption('Norrby');
		await school.locator('#observation').fill('Har inte varit i skolan på tre veckor.');
		await school.locator('#observedPlace').fill('Skolgården');
		await school.locator('#assessment').fill('Eleven behöver stöd från socialtjänsten.');
		await school.locator('#guardiansInformed-yes').check();
		await school.locator('#phone').fill('033-35 70 00');
		await school.locator('#urgency-urgent').check();
		await school.getByRole('button', { name: 'Skicka orosanmälan' }).click();
		await school.waitForURL(/\/concerns\?sent=ORO-/);
		reference = new URL(school.url()).searchParams.get('sent')!;
		expect(await school.locator('[data-testid="concern-sent"]').textContent()).toContain(reference);
		expect(await statusOf(school, reference)).toBe('Mottagen');
		await expectNoSeriousA11yViolations(school);
	});

	it('the intake sees it with the marker; opening it tells the counsellor only "being assessed"', async () => {
		await social.goto('/concerns');
		const row = social.locator('[data-testid="concern-row"]', { hasText: reference });
		expect(await row.locator('[data-testid="concern-marker"]').textContent()).toContain('Har ärende');
		await expectNoSeriousA11yViolations(social);
		await row.getByRole('link', { name: reference }).click();
		await social.waitForURL(/\/concerns\/[0-9a-f-]{36}$/);
		expect(await social.locator('[data-testid="concern-status"]').textContent()).toContain('Bedöms');
		await expectNoSeriousA11yViolations(social);

		expect(await statusOf(school, reference)).toBe('Bedöms');
		const text = await school.locator('[data-testid="concern-table"]').textContent();
		expect(text).not.toContain('Har ärende');
		expect(text).not.toContain(PIN);
	});

	it('a social worker opens a case from it and lands on the new case; the counsellor sees only "closed"', async () => {
		await social.locator('#decision-open_case').check();
		await social.locator('#firstName').fill('Oro');
		await social.locator('#lastName').fill('Testsson');
		await social.locator('#reason').fill('Behov av kartläggning.');
		await social.getByRole('button', { name: 'Spara beslut' }).click();
		await social.waitForURL(/\/cases\/[0-9a-f-]{36}/);
		// The new case's page: its number and the person carried over from the concern.
		expect(await social.locator('main').textContent({ timeout: 60_000 })).toMatch(/SSPF-\d{4}-\d{4}/);
		expect(await social.locator('[data-testid="case-subject"]').textContent()).toContain('Oro Testsson');

		expect(await statusOf(school, reference)).toBe('Avslutad');
		const text = await school.locator('[data-testid="concern-table"]').textContent();
		expect(text).not.toContain('Ärende öppnat');
		await expectNoSeriousA11yViolations(school);
	});
});
