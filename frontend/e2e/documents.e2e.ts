import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, demoPassword, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * Documents end to end: the social worker attaches a scanned, signed consent form to a written
 * consent from the consent list, sees it listed as the consent's evidence, downloads the same
 * bytes through the web app, and is told plainly when a file is not a PDF, JPEG or PNG.
 */

let browser: Browser;
let page: Page;
let caseUrl = '';
let consentId = '';
const SIGNED = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n% underskrivet samtycke\n');

/** A valid personnummer (Luhn check digit) for someone who turned `age` about 100 days ago. */
function personnummerAged(age: number): string {
	const born = new Date();
	born.setUTCFullYear(born.getUTCFullYear() - age);
	born.setUTCDate(born.getUTCDate() - 100);
	const nine = `${String(born.getUTCFullYear()).slice(2)}${String(born.getUTCMonth() + 1).padStart(2, '0')}${String(born.getUTCDate()).padStart(2, '0')}${100 + Math.floor(Math.random() * 900)}`;
	let sum = 0;
	for (let i = 0; i < 9; i++) {
		let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
		if (d > 9) d -= 9;
		sum += d;
	}
	return `${String(born.getUTCFullYear()).slice(0, 2)}${nine}${(10 - (sum % 10)) % 10}`;
}

async function api<T>(token: string | null, method: string, path: string, body?: unknown): Promise<T> {
	const response = await fetch(`${apiUrl()}${path}`, {
		method,
		headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
		...(body ? { body: JSON.stringify(body) } : {})
	});
	if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
	return (await response.json()) as T;
}

beforeAll(async () => {
	browser = await launchBrowser();
	// The case and a written consent, through the API: this test is about the documents.
	const { accessToken } = await api<{ accessToken: string }>(null, 'POST', '/api/auth/login', {
		username: 'social',
		password: demoPassword()
	});
	const options = await api<{ agencies: { id: string; kind: string }[] }>(accessToken, 'GET', '/api/cases/options');
	const social = options.agencies.find((a) => a.kind === 'social_services')!.id;
	const school = options.agencies.find((a) => a.kind === 'school')!.id;
	const created = await api<{ id: string }>(accessToken, 'POST', '/api/cases', {
		type: 'sspf',
		area: 'Norrby',
		reason: 'Oro för skolgången.',
		agencyIds: [school],
		subject: {
			personalIdentityNumber: personnummerAged(25),
			firstName: 'Dokument',
			lastName: 'Testsson',
			protectedIdentity: 'none',
			guardians: []
		}
	});
	caseUrl = `/cases/${created.id}`;
	const today = new Date().toISOString().slice(0, 10);
	const later = new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10);
	consentId = (
		await api<{ id: string }>(accessToken, 'POST', `/api/cases/${created.id}/consents`, {
			givenBy: { kind: 'subject' },
			agencyIds: [social, school],
			categories: ['identity', 'school'],
			purpose: 'Samordnat stöd kring skolgången.',
			validFrom: today,
			validTo: later,
			method: 'written',
			evidenceRef: 'Blankett i ärendet'
		})
	).id;
	({ page } = await openPage(browser));
	await login(page, 'social');
});

afterAll(async () => {
	await browser?.close();
});

describe('documents of a case', () => {
	it('attaches the signed form to a written consent from the consent list', async () => {
		await page.goto(`${caseUrl}/consents`);
		await page.locator('a', { hasText: 'Bifoga den undertecknade blanketten' }).click();
		await page.waitForURL((url) => url.pathname === `${caseUrl}/documents` && url.searchParams.get('consentId') === consentId);
		expect(await page.locator('.sub-nav a[aria-current="page"]').textContent()).toBe('Dokument');
		expect(await page.locator('main').textContent()).toContain('Dokumentet kopplas till samtycket');
		await expectNoSeriousA11yViolations(page);

		await page.locator('#file').setInputFiles({ name: 'samtycke.pdf', mimeType: 'application/pdf', buffer: SIGNED });
		expect(await page.locator('#category').inputValue()).toBe('identity');
		await page.locator('#title').fill('Undertecknat samtycke');
		await page.locator('button', { hasText: 'Ladda upp' }).click();
		await page.locator('[role="status"] .notice', { hasText: 'Dokumentet är uppladdat' }).waitFor();
		const row = page.getByTestId('document').first();
		expect(await row.textContent()).toContain('Undertecknat samtycke');
		expect(await row.textContent()).toContain('Underlag för ett samtycke');
		expect(await row.textContent()).toContain('PDF');
		await expectNoSeriousA11yViolations(page);
	});

	it('downloads the same bytes through the web app, under a neutral name', async () => {
		const [download] = await Promise.all([
			page.waitForEvent('download'),
			page.getByTestId('document').first().locator('a', { hasText: 'Ladda ner' }).click()
		]);
		expect(download.suggestedFilename()).toMatch(/^dokument-[0-9a-f]{8}\.pdf$/);
		const file = await download.path();
		expect(Buffer.compare(fs.readFileSync(file), SIGNED)).toBe(0);
	});

	it('says plainly when a file is not a PDF, JPEG or PNG, on the file field', async () => {
		await page.goto(`${caseUrl}/documents`);
		await page
			.locator('#file')
			.setInputFiles({ name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.from('bara text, ingen PDF\n') });
		await page.locator('#category').selectOption('identity');
		await page.locator('button', { hasText: 'Ladda upp' }).click();
		await page.waitForFunction(() => document.activeElement?.classList.contains('error-summary'));
		expect(await page.locator('.error-summary').textContent()).toContain('Filen är inte en PDF, JPEG eller PNG');
		expect(await page.locator('#file').getAttribute('aria-invalid')).toBe('true');
		expect(await page.getByTestId('document').count()).toBe(1);
		await expectNoSeriousA11yViolations(page);
	});
});
