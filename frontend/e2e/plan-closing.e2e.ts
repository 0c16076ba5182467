import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, demoPassword, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * A plan that changes and a case closed with structure, in the browser: a caseworker changes an
 * action and reads its history, hands a leaving agency's action over to another, searches the
 * journal, closes the case with an outcome code and is then shown the consents still in force,
 * each with a way to end it.
 */

let browser: Browser;
const suffix = String(Math.floor(Math.random() * 100000));
const lastName = `Plansson${suffix}`;
let caseId = '';
let consentId = '';
const names: Record<string, string> = {};

/** A valid personnummer (Luhn check digit) of an adult, new to this run. */
function adultPersonnummer(): string {
	const nine = `870202${String(100 + Math.floor(Math.random() * 900))}`;
	let sum = 0;
	for (let i = 0; i < 9; i++) {
		let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
		if (d > 9) d -= 9;
		sum += d;
	}
	return `19${nine}${(10 - (sum % 10)) % 10}`;
}

const isoDay = (offsetDays: number): string => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

async function api<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
	const res = await fetch(`${apiUrl()}${path}`, {
		method,
		headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		...(body === undefined ? {} : { body: JSON.stringify(body) })
	});
	if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
	return (await res.json()) as T;
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

async function saved(page: Page, text: string): Promise<void> {
	await page.locator('[role="status"] .notice', { hasText: text }).waitFor();
}

beforeAll(async () => {
	browser = await launchBrowser();
	const social = await token('social');
	const options = await api<{ agencies: { id: string; name: string; kind: string }[] }>(social, 'GET', '/api/cases/options');
	const me = await api<{ agencyId: string }>(social, 'GET', '/api/me');
	const agency = (kind: string) => options.agencies.find((a) => a.kind === kind)!;
	const school = agency('school');
	const police = agency('police');
	names.school = school.name;
	names.police = police.name;
	const created = await api<{ id: string }>(social, 'POST', '/api/cases', {
		type: 'sspf',
		area: 'Norrby',
		reason: 'Oro för skolgången.',
		subject: { personalIdentityNumber: adultPersonnummer(), firstName: 'Petra', lastName },
		agencyIds: [school.id, police.id]
	});
	caseId = created.id;
	await api(social, 'POST', `/api/cases/${caseId}/plan-items`, {
		lifeArea: 'school',
		goal: 'Närvaro varje dag',
		action: 'Kontaktpolisen träffar Petra varje vecka',
		responsibleAgencyId: police.id,
		dueDate: isoDay(30)
	});
	consentId = (
		await api<{ id: string }>(social, 'POST', `/api/cases/${caseId}/consents`, {
			givenBy: { kind: 'subject' },
			agencyIds: [me.agencyId, school.id],
			categories: ['identity', 'plan'],
			purpose: 'Samordnat stöd i skolan',
			validFrom: isoDay(-1),
			validTo: isoDay(200),
			method: 'written',
			evidenceRef: 'dok:2026/0042'
		})
	).id;
	for (const text of ['Samtal om ekonomin hemma.', 'Mentorn rapporterar bättre närvaro.']) {
		await api(social, 'POST', `/api/cases/${caseId}/entries`, { category: 'social', text });
	}
});

afterAll(async () => {
	await browser?.close();
});

describe('a plan that changes, and closing with structure', () => {
	let page: Page;

	beforeAll(async () => {
		({ page } = await openPage(browser));
		await login(page, 'social');
	});

	afterAll(async () => {
		await page?.context().close();
	});

	it('changes an action and shows who changed what', async () => {
		await page.goto(`/cases/${caseId}/plan`);
		const item = page.getByTestId('plan-item').first();
		await item.locator('summary').click();
		await item.locator('input[name="goal"]').fill('Närvaro minst fyra dagar i veckan');
		await item.locator('button', { hasText: 'Spara ändringarna' }).click();
		await saved(page, 'Insatsen är uppdaterad');
		await page.getByTestId('plan-item-history-link').first().click();
		await page.getByTestId('plan-item-history').waitFor();
		const change = (await page.getByTestId('plan-item-change').first().textContent()) ?? '';
		expect(change).toContain('Närvaro varje dag');
		expect(change).toContain('Närvaro minst fyra dagar i veckan');
		await expectNoSeriousA11yViolations(page);
	});

	it('prints the plan as a PDF for the network meeting', async () => {
		await page.goto(`/cases/${caseId}/plan`);
		const link = page.getByTestId('plan-pdf');
		expect(await link.textContent()).toContain('Skriv ut åtagandeplanen');
		await expectNoSeriousA11yViolations(page);
		// The link's own request, with the signed-in browser's session: the PDF, never cached.
		const res = await page.request.get((await link.getAttribute('href'))!);
		expect(res.status()).toBe(200);
		expect(res.headers()['content-type']).toBe('application/pdf');
		expect(res.headers()['cache-control']).toBe('no-store');
		expect(res.headers()['content-disposition']).toMatch(/^attachment; filename="SSPF-\d{4}-\d{4,}\.pdf"$/);
		expect((await res.body()).subarray(0, 5).toString()).toBe('%PDF-');
		// A case that does not exist (or is not the caller's): not found, as for the case page.
		expect((await page.request.get('/cases/00000000-0000-4000-8000-000000000000/plan.pdf')).status()).toBe(404);
	});

	it('hands the actions of a leaving agency over to another', async () => {
		await page.goto(`/cases/${caseId}`);
		await page.locator('button', { hasText: `Ta bort ${names.police}` }).click();
		const select = page.locator('select[name="reassignTo"]');
		await select.waitFor();
		const school = await select.locator('option', { hasText: names.school! }).getAttribute('value');
		await select.selectOption(school!);
		await expectNoSeriousA11yViolations(page);
		await page.locator('button', { hasText: `Lämna över insatserna och ta bort ${names.police}` }).click();
		await saved(page, 'Aktören är borttagen');
		expect(await page.getByTestId('participants').textContent()).not.toContain(names.police);
		await page.goto(`/cases/${caseId}/plan`);
		expect(await page.getByTestId('plan-item-responsible').first().textContent()).toContain(names.school);
		await page.getByTestId('plan-item-history-link').first().click();
		expect(await page.getByTestId('plan-item-history').textContent()).toContain('Överlämnad när den ansvariga aktören lämnade ärendet');
	});

	it('searches the journal', async () => {
		await page.goto(`/cases/${caseId}/journal`);
		await page.locator('#q').fill('EKONOMIN');
		await page.locator('button', { hasText: 'Sök' }).click();
		await page.getByTestId('entries-heading').filter({ hasText: 'Anteckningar som matchar: 1' }).waitFor();
		const shown = (await page.getByTestId('entries').textContent()) ?? '';
		expect(shown).toContain('Samtal om ekonomin hemma.');
		expect(shown).not.toContain('Mentorn rapporterar');
		await expectNoSeriousA11yViolations(page);
	});

	it('closes with an outcome code and offers to end the consents still in force', async () => {
		await page.goto(`/cases/${caseId}/close`);
		await page.locator('label', { hasText: 'Målen uppnådda' }).click();
		await page.locator('#outcome').fill('Petra går i skolan varje dag.');
		await page.locator('button', { hasText: 'Fortsätt' }).click();
		expect(await page.getByTestId('confirm-outcome-code').textContent()).toBe('Målen uppnådda');
		await page.locator('button', { hasText: 'Ja, avsluta ärendet' }).click();
		const inForce = page.getByTestId('consents-in-force');
		await inForce.waitFor();
		expect(await page.getByTestId('case-status').textContent()).toBe('Avslutat');
		await expectNoSeriousA11yViolations(page);
		await inForce.locator('a', { hasText: 'Avsluta samtycket' }).click();
		await page.waitForURL(`**/cases/${caseId}/consents/${consentId}/withdraw`);
		// Reopening asks why.
		await page.goto(`/cases/${caseId}`);
		await page.locator('#reopenReason').fill('Ny oro från skolan.');
		await page.locator('button', { hasText: 'Öppna ärendet igen' }).click();
		await saved(page, 'Ärendet är öppnat igen');
	});
});
