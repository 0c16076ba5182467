import type { APIResponse, Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, demoPassword, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * The network around the person and the printouts, in the browser: a caseworker names the
 * contacts of the network and a partner sees them as the consent allows; the meeting invitation,
 * the minutes, the consent receipt and the consent form are printed as PDFs through the web app.
 */

let browser: Browser;
const suffix = String(Math.floor(Math.random() * 100000));
const lastName = `Nätverk${suffix}`;
let caseId = '';
let consentId = '';
let plannedId = '';
let heldId = '';
const names: Record<string, string> = {};
const ids: Record<string, string> = {};

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

/** A download through the web app: the PDF itself, never cached. */
async function expectPdf(res: APIResponse, filename: RegExp): Promise<void> {
	expect(res.status()).toBe(200);
	expect(res.headers()['content-type']).toBe('application/pdf');
	expect(res.headers()['cache-control']).toBe('no-store');
	expect(res.headers()['content-disposition']).toMatch(filename);
	expect((await res.body()).subarray(0, 5).toString()).toBe('%PDF-');
}

beforeAll(async () => {
	browser = await launchBrowser();
	const social = await token('social');
	const options = await api<{ agencies: { id: string; name: string; kind: string }[] }>(social, 'GET', '/api/cases/options');
	const me = await api<{ agencyId: string }>(social, 'GET', '/api/me');
	ids.social = me.agencyId;
	// The demo users' own agencies: other browser-test files create agencies of the same kinds.
	for (const kind of ['school', 'police']) {
		const agencyId = (await api<{ agencyId: string }>(await token(kind), 'GET', '/api/me')).agencyId;
		const a = options.agencies.find((x) => x.id === agencyId)!;
		ids[kind] = a.id;
		names[kind] = a.name;
	}
	caseId = (
		await api<{ id: string }>(social, 'POST', '/api/cases', {
			type: 'sspf',
			area: 'Norrby',
			reason: 'Oro för skolgången.',
			subject: { personalIdentityNumber: adultPersonnummer(), firstName: 'Nora', lastName },
			agencyIds: [ids.school, ids.police]
		})
	).id;
	consentId = (
		await api<{ id: string }>(social, 'POST', `/api/cases/${caseId}/consents`, {
			givenBy: { kind: 'subject' },
			agencyIds: [ids.social, ids.school],
			categories: ['identity', 'plan'],
			purpose: 'Samordnat stöd i skolan',
			validFrom: isoDay(-1),
			validTo: isoDay(200),
			method: 'written',
			evidenceRef: 'dok:2026/0077'
		})
	).id;
	// The police's contact is named, but no consent names the police together with the school.
	await api(social, 'PATCH', `/api/cases/${caseId}/network/${ids.police}`, {
		contactName: 'Kim Kontaktpolis',
		contactRole: 'Kontaktpolis'
	});
	plannedId = (
		await api<{ id: string }>(social, 'POST', `/api/cases/${caseId}/meetings`, {
			status: 'planned',
			startsAt: `${isoDay(7)}T08:00:00.000Z`,
			endsAt: `${isoDay(7)}T09:00:00.000Z`,
			place: 'Stadshuset, rum Ängen',
			agencyIds: [ids.school],
			invitees: ['Kurator Kim'],
			agenda: 'Uppföljning av planen'
		})
	).id;
	heldId = (
		await api<{ id: string }>(social, 'POST', `/api/cases/${caseId}/meetings`, {
			date: isoDay(-2),
			agencyIds: [ids.school],
			people: ['Kurator Kim'],
			agenda: 'Kartläggning',
			minutes: 'Vi gick igenom läget.'
		})
	).id;
});

afterAll(async () => {
	await browser?.close();
});

describe('the network around the person', () => {
	it('the caseworker names its own contact on the case page', async () => {
		const { page } = await openPage(browser);
		try {
			await login(page, 'social');
			await page.goto(`/cases/${caseId}`);
			const network = page.getByTestId('network');
			await network.waitFor();
			expect(await page.locator('#network-heading').textContent()).toBe('Nätverket');
			const own = page.getByTestId(`network-${ids.social}`);
			await own.locator('summary').click();
			await own.locator('input[name="contactEmail"]').fill('inte en adress');
			await own.locator('button', { hasText: 'Spara kontakten' }).click();
			await page.locator('.error-summary', { hasText: 'Skriv en e-postadress' }).waitFor();
			await expectNoSeriousA11yViolations(page);
			await own.locator('input[name="contactName"]').fill('Sara Socialsekreterare');
			await own.locator('input[name="contactRole"]').fill('Socialsekreterare');
			await own.locator('input[name="contactEmail"]').fill('sara@kommun.example.se');
			await own.locator('button', { hasText: 'Spara kontakten' }).click();
			await page.locator('[role="status"] .notice', { hasText: 'Kontakten är sparad' }).waitFor();
			expect(await own.textContent()).toContain('Sara Socialsekreterare');
			expect(await page.getByTestId(`network-${ids.police}`).textContent()).toContain('Kim Kontaktpolis');
			await expectNoSeriousA11yViolations(page);
		} finally {
			await page.context().close();
		}
	});

	it("a partner sees the owner's contact and edits its own, but not an agency the consent does not name", async () => {
		const { page } = await openPage(browser);
		try {
			await login(page, 'school');
			await page.goto(`/cases/${caseId}`);
			await page.getByTestId('network').waitFor();
			expect(await page.getByTestId(`network-${ids.social}`).textContent()).toContain('Sara Socialsekreterare');
			expect(await page.getByTestId(`network-${ids.police}`).count()).toBe(0);
			expect(await page.getByTestId('network').textContent()).not.toContain('Kim Kontaktpolis');
			// Only its own agency's row has a form.
			expect(await page.getByTestId(`network-${ids.social}`).locator('form').count()).toBe(0);
			const own = page.getByTestId(`network-${ids.school}`);
			await own.locator('summary').click();
			await own.locator('input[name="contactName"]').fill('Karin Kurator');
			await own.locator('button', { hasText: 'Spara kontakten' }).click();
			await page.locator('[role="status"] .notice', { hasText: 'Kontakten är sparad' }).waitFor();
			expect(await own.textContent()).toContain('Karin Kurator');
			await expectNoSeriousA11yViolations(page);
		} finally {
			await page.context().close();
		}
	});
});

describe('printouts', () => {
	let page: Page;

	beforeAll(async () => {
		({ page } = await openPage(browser));
		await login(page, 'social');
	});

	afterAll(async () => {
		await page?.context().close();
	});

	it('prints the invitation of a planned meeting and the minutes of a held one', async () => {
		await page.goto(`/cases/${caseId}/meetings`);
		const invitation = page.locator(`a[href$="/${plannedId}/invitation.pdf"]`);
		expect(await invitation.textContent()).toContain('Skriv ut kallelsen');
		await expectPdf(await page.request.get((await invitation.getAttribute('href'))!), /kallelse-\d{4}-\d{2}-\d{2}\.pdf"$/);
		const minutes = page.locator(`a[href$="/${heldId}/minutes.pdf"]`);
		expect(await minutes.textContent()).toContain('Skriv ut minnesanteckningarna');
		await expectPdf(await page.request.get((await minutes.getAttribute('href'))!), /minnesanteckningar-\d{4}-\d{2}-\d{2}\.pdf"$/);
		await expectNoSeriousA11yViolations(page);
		// A meeting that is not there: not found, as for the case.
		expect((await page.request.get(`/cases/${caseId}/meetings/00000000-0000-4000-8000-000000000000/invitation.pdf`)).status()).toBe(404);
	});

	it('prints the consent receipt from the consent list and from the receipt page', async () => {
		await page.goto(`/cases/${caseId}/consents`);
		const fromList = page.getByTestId('consent-receipt-pdf').first();
		await expectPdf(await page.request.get((await fromList.getAttribute('href'))!), /samtyckeskvitto\.pdf"$/);
		await expectNoSeriousA11yViolations(page);
		await page.goto(`/receipts/${consentId}`);
		const link = page.getByTestId('receipt-pdf');
		expect(await link.textContent()).toContain('Ladda ner kvittot som PDF');
		await expectPdf(await page.request.get((await link.getAttribute('href'))!), /samtyckeskvitto\.pdf"$/);
		await expectNoSeriousA11yViolations(page);
		expect((await page.request.get('/receipts/00000000-0000-4000-8000-000000000000/receipt.pdf')).status()).toBe(404);
	});

	it('prints a consent form to sign from the fields of the new-consent form', async () => {
		await page.goto(`/cases/${caseId}/consents/new`);
		await page.locator('input[name="givenBy"][value="subject"]').check();
		await page.locator(`input[name="agencyIds"][value="${ids.school}"]`).check();
		await page.locator('input[type="checkbox"][name="categories"]').first().check();
		await page.locator('#validTo').fill(isoDay(180));
		await page.locator('#purpose').fill('Samordnat stöd i skolan');
		const download = page.waitForEvent('download');
		await page.getByTestId('consent-form-pdf').click();
		expect((await download).suggestedFilename()).toMatch(/samtycke\.pdf$/);
		// The page and what was typed stay.
		expect(await page.locator('#purpose').inputValue()).toBe('Samordnat stöd i skolan');
		await expectNoSeriousA11yViolations(page);
	});
});
