import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, demoPassword, demoUser, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * The disclosure ledger as the owning social worker reads it: what crossed to the school, grouped
 * per day × agency × category with counts, each group opened with the keyboard to its rows, the
 * recipient named; filtered by category; every row on its own view.
 */

let browser: Browser;
let caseId = '';
const suffix = Math.random().toString(36).slice(2, 8);

/** A valid personnummer for a 30-year-old born on a day of this year's January (Luhn check digit). */
function adultPersonnummer(): string {
	const year = String(new Date().getFullYear() - 30).slice(2);
	const nine = `${year}0122${String(100 + Math.floor(Math.random() * 800))}`;
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
	if (!res.ok) throw new Error(`login ${username}: ${res.status}`);
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
	const school = await token('school');
	const me = await api<{ agencyId: string }>(social, 'GET', '/api/me');
	const schoolMe = await api<{ agencyId: string }>(school, 'GET', '/api/me');
	const created = await api<{ id: string }>(social, 'POST', '/api/cases', {
		type: 'sspf',
		area: 'Norrby',
		reason: 'Hög frånvaro.',
		agencyIds: [schoolMe.agencyId],
		subject: { personalIdentityNumber: adultPersonnummer(), firstName: 'Lea', lastName: `Liggarsson${suffix}` }
	});
	caseId = created.id;
	await api(social, 'POST', `/api/cases/${caseId}/consents`, {
		givenBy: { kind: 'subject' },
		agencyIds: [me.agencyId, schoolMe.agencyId],
		categories: ['identity', 'plan'],
		purpose: 'Samordnat stöd',
		validFrom: isoDay(-1),
		validTo: isoDay(300),
		method: 'written',
		evidenceRef: 'dok:2026/0099'
	});
	await api(social, 'POST', `/api/cases/${caseId}/plan-items`, {
		lifeArea: 'school',
		goal: 'Närvaro över 80 %',
		action: 'Veckovis avstämning',
		responsibleAgencyId: schoolMe.agencyId,
		dueDate: isoDay(7)
	});
	// The school opens the case three times: each time the case and the plan item cross.
	for (let i = 0; i < 3; i++) await api(school, 'GET', `/api/cases/${caseId}`);
});

afterAll(async () => {
	await browser?.close();
});

describe('the disclosure ledger', () => {
	it('groups what crossed per day, agency and category; a group opens with the keyboard to its named rows', async () => {
		const schoolUser = await demoUser('school');
		const { context, page } = await openPage(browser);
		await login(page, 'social');
		await page.goto(`/cases/${caseId}/disclosures`);
		expect(await page.title()).toBe('Ärende: utlämnanden – Samverka');

		const groups = page.getByTestId('ledger-group');
		expect(await groups.count()).toBe(2);
		const identity = groups.filter({ hasText: 'Identitet' });
		expect(await identity.locator('summary').textContent()).toContain(
			`${schoolUser.agencyName} · Identitet och personliga förhållanden: 3 utlämnanden`
		);
		expect(await page.getByTestId('ledger-summary').textContent()).toContain('6 utlämnanden i 2 grupper');
		await expectNoSeriousA11yViolations(page);

		expect(await identity.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
		await identity.locator('summary').focus();
		await page.keyboard.press('Enter');
		expect(await identity.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
		const rows = identity.getByTestId('disclosure');
		expect(await rows.count()).toBe(3);
		// The recipient by name and agency, not an id fragment.
		expect(await rows.first().textContent()).toContain(schoolUser.displayName);
		expect(await rows.first().textContent()).toContain(schoolUser.agencyName);
		await expectNoSeriousA11yViolations(page);
		await context.close();
	});

	it('filters by category, and shows every row on its own view', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'social');
		await page.goto(`/cases/${caseId}/disclosures`);
		await page.locator('#ledger-category').selectOption('plan');
		await page.getByTestId('ledger-filter').locator('button[type="submit"]').click();
		await page.waitForURL((url) => url.searchParams.get('category') === 'plan');
		expect(await page.getByTestId('ledger-group').count()).toBe(1);
		expect(await page.getByTestId('ledger-group').locator('summary').textContent()).toContain('3 utlämnanden');

		await page.locator('a', { hasText: 'Alla rader' }).click();
		await page.waitForURL((url) => url.searchParams.get('view') === 'rows');
		expect(await page.getByTestId('disclosure').count()).toBe(3);
		expect(await page.locator('#ledger-category').inputValue()).toBe('plan');
		await expectNoSeriousA11yViolations(page);

		await page.goto(`/cases/${caseId}/disclosures?from=2026-12-05&to=2026-12-01`);
		expect(await page.locator('.error-summary').textContent()).toContain('Slutdatumet ligger före startdatumet');
		expect(await page.locator('#ledger-to').getAttribute('aria-invalid')).toBe('true');
		expect(await page.getByTestId('ledger-group').count()).toBe(0);
		await context.close();
	});
});
