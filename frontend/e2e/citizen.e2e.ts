import fs from 'node:fs';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshPersonnummer, type TestCitizen, type TestCitizens } from './citizens';
import { apiUrl, baseUrl, demoPassword, demoUser, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * The person's own view (issue 16): a guardian signs in with the test e-identification, accepts
 * the social worker's consent request, keeps the receipt, sees which agency saw what, and
 * withdraws with the keyboard alone — the police lose the case on their next page load. A
 * 15-year-old sees their own consent; a guardian without custody sees nothing; the pages work in
 * Arabic, right to left. Every citizen page passes the accessibility check.
 */

let browser: Browser;
let db: pg.Client;
// Made up by the global setup for this run, and given to the test e-identification provider.
const citizens = JSON.parse(inject('CITIZENS')) as TestCitizens;
const issuer = inject('CITIZEN_EID_ISSUER');
const NOT_FOUND = 'Ärendet finns inte eller så har du inte behörighet';
const unique = Math.floor(Math.random() * 100000);
const child = { firstName: 'Noor', lastName: `Medborgarsson${unique}`, pin: freshPersonnummer(12) };
const youth = { firstName: 'Vide', lastName: `Egenvy${unique}` };

let staffToken = '';
let socialAgencyId = '';
let policeAgencyId = '';
let policeName = '';
let childCaseId = '';
let youthCaseId = '';

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
	const response = await fetch(`${apiUrl()}${path}`, {
		method,
		headers: { authorization: `Bearer ${staffToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
	return (await response.json()) as T;
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);
const today = () => isoDate(new Date());
const inMonths = (months: number) => {
	const d = new Date();
	return isoDate(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, Math.min(d.getUTCDate(), 28))));
};

/** A case opened by the demo social worker, with the police taking part. */
async function openCase(subject: Record<string, unknown>): Promise<{ id: string; subject: { guardians: { id: string }[] } }> {
	return api('POST', '/api/cases', {
		type: 'sspf',
		area: 'Norrby',
		reason: 'Oro från skolan.',
		subject,
		agencyIds: [policeAgencyId]
	});
}

/** Signs in at the test e-identification provider, from the citizen start page, and lands on `/citizen`. */
async function citizenSignIn(page: Page, who: TestCitizen): Promise<void> {
	await page.goto('/citizen');
	await page.getByTestId('citizen-sign-in').click();
	await provideCredentials(page, who);
	await page.waitForURL(`${baseUrl()}/citizen`);
	await page.getByRole('heading', { level: 1 }).waitFor();
}

async function provideCredentials(page: Page, who: TestCitizen): Promise<void> {
	await page.waitForURL(`${issuer}/interaction/**`);
	await page.getByLabel('Användarnamn').fill(who.login);
	await page.getByLabel('Lösenord').fill(who.password);
	await page.getByRole('button', { name: 'Logga in' }).click();
}

async function downloadJson(page: Page, click: () => Promise<void>): Promise<Record<string, unknown>> {
	const [download] = await Promise.all([page.waitForEvent('download'), click()]);
	const path = await download.path();
	return JSON.parse(fs.readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Presses Tab until the element with `testId` has focus, as someone without a mouse would. */
async function tabTo(page: Page, testId: string): Promise<void> {
	for (let i = 0; i < 80; i++) {
		await page.keyboard.press('Tab');
		if (await page.evaluate((id) => (document.activeElement as HTMLElement | null)?.dataset.testid === id, testId)) return;
	}
	throw new Error(`could not reach ${testId} with the Tab key`);
}

beforeAll(async () => {
	browser = await launchBrowser();
	db = new pg.Client({ connectionString: inject('DATABASE_URL') });
	await db.connect();
	const { rows } = await db.query<{ id: string; kind: string }>("SELECT id, kind FROM agency WHERE kind IN ('police', 'social')");
	policeAgencyId = rows.find((r) => r.kind === 'police')!.id;
	policeName = (await demoUser('police')).agencyName;

	const signIn = await fetch(`${apiUrl()}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ username: 'social', password: demoPassword() })
	});
	staffToken = ((await signIn.json()) as { accessToken: string }).accessToken;
	socialAgencyId = (await api<{ agency: { id: string } }>('GET', '/api/me')).agency.id;

	// A 12-year-old with one guardian with custody and one without.
	const childCase = await openCase({
		personalIdentityNumber: child.pin,
		firstName: child.firstName,
		lastName: child.lastName,
		guardians: [
			{ firstName: 'Amal', lastName: child.lastName, personalIdentityNumber: citizens.guardian.personalIdentityNumber, custody: true },
			{
				firstName: 'Sami',
				lastName: child.lastName,
				personalIdentityNumber: citizens.guardianWithoutCustody.personalIdentityNumber,
				custody: false
			}
		]
	});
	childCaseId = childCase.id;
	await api('POST', `/api/cases/${childCaseId}/consent-requests`, {
		agencyIds: [socialAgencyId, policeAgencyId],
		categories: ['identity', 'social'],
		purpose: 'Att skola, socialtjänst och polis tillsammans ska hjälpa Noor att må bra.',
		explanation: 'Vi vill att polisen får veta vem Noor är och vad socialtjänsten gör, så att vi kan hjälpa till tillsammans.',
		validFrom: today(),
		validTo: inMonths(6)
	});

	// A 15-year-old who gave a consent of their own, recorded by the social worker.
	const youthCase = await openCase({
		personalIdentityNumber: citizens.youth.personalIdentityNumber,
		firstName: youth.firstName,
		lastName: youth.lastName,
		guardians: [{ firstName: 'Eva', lastName: youth.lastName, personalIdentityNumber: freshPersonnummer(45), custody: true }]
	});
	youthCaseId = youthCase.id;
	await api('POST', `/api/cases/${youthCase.id}/consents`, {
		givenBy: { kind: 'subject' },
		agencyIds: [socialAgencyId, policeAgencyId],
		categories: ['identity', 'school'],
		purpose: 'Stöd i skolan.',
		validFrom: today(),
		validTo: inMonths(6),
		method: 'written',
		evidenceRef: 'Dnr IFO 2026/1'
	});
});

afterAll(async () => {
	await db?.end();
	await browser?.close();
});

describe('a guardian with custody', () => {
	let guardian: BrowserContext;
	let page: Page;
	let police: Page;

	beforeAll(async () => {
		({ context: guardian, page } = await openPage(browser));
		({ page: police } = await openPage(browser));
		await login(police, 'police');
	});

	afterAll(async () => {
		await guardian?.close();
		await police?.context().close();
	});

	it('signs in with e-identification from an accessible start page and sees the child', async () => {
		await page.goto('/citizen');
		expect(await page.locator('html').getAttribute('lang')).toBe('sv');
		expect(await page.locator('html').getAttribute('dir')).toBe('ltr');
		await expectNoSeriousA11yViolations(page);
		await citizenSignIn(page, citizens.guardian);
		expect(await page.getByTestId('citizen-relation').allTextContents()).toEqual([expect.stringContaining('Noor, 12 år')]);
		expect(await page.getByTestId('citizen-waiting').textContent()).toContain('1 fråga väntar på ditt svar');
		await expectNoSeriousA11yViolations(page);
	});

	it('opens no staff page with the citizen sign-in, and the staff sign-in opens no citizen page', async () => {
		await page.goto('/cases');
		expect(new URL(page.url()).pathname).toBe('/login');
		await police.goto('/citizen');
		expect(await police.getByTestId('citizen-sign-in').count()).toBe(1);
		expect(await police.getByTestId('citizen-relation').count()).toBe(0);
	});

	it('reads the request and accepts it; the police then see the case; the receipt is signed', async () => {
		await police.goto(`/cases/${childCaseId}`);
		expect(await police.locator('h1').first().textContent()).toContain(NOT_FOUND);

		await page.goto('/citizen/requests');
		const request = page.getByTestId('citizen-request');
		expect(await request.count()).toBe(1);
		expect(await request.textContent()).toContain('Vi vill att polisen får veta vem Noor är');
		expect(await request.textContent()).toContain(policeName);
		await expectNoSeriousA11yViolations(page);
		await request.getByTestId('request-accept').click();
		await page.getByTestId('request-accepted').waitFor();
		await expectNoSeriousA11yViolations(page);

		const receipt = await downloadJson(page, () => page.getByTestId('accepted-receipt').click());
		expect(typeof receipt.signature).toBe('string');
		expect(JSON.stringify(receipt.receipt)).toContain('digital');
		// The receipt to read and keep: a PDF.
		const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByTestId('accepted-receipt-pdf').click()]);
		expect(pdf.suggestedFilename()).toBe('samtyckeskvitto.pdf');
		expect(
			fs
				.readFileSync(await pdf.path())
				.subarray(0, 5)
				.toString()
		).toBe('%PDF-');

		await police.goto(`/cases/${childCaseId}`);
		expect(await police.locator('h1').first().textContent()).not.toContain(NOT_FOUND);
	});

	it('sees that the police saw information about the child, per day', async () => {
		await page.goto('/citizen/disclosures');
		expect(await page.getByTestId('disclosures-summary').textContent()).toContain(policeName);
		expect(await page.getByTestId('disclosures-table').textContent()).toContain(policeName);
		await expectNoSeriousA11yViolations(page);
	});

	it("downloads the child's log extract, with the police's read in it", async () => {
		await page.goto('/citizen');
		const extract = await downloadJson(page, () => page.getByRole('link', { name: 'Ladda ner loggutdrag' }).click());
		expect(extract.format).toBe('samverka-citizen-extract/v1');
		expect((extract.events as unknown[]).length).toBeGreaterThan(0);
		expect(JSON.stringify(extract)).toContain(policeAgencyId);
	});

	it('withdraws with the keyboard only; the police lose the case on their next page load', async () => {
		await page.goto('/citizen/consents');
		await expectNoSeriousA11yViolations(page);
		expect(await page.getByTestId('consent-agencies').first().textContent()).toContain(policeName);
		await tabTo(page, 'consent-withdraw');
		await page.keyboard.press('Enter');
		await page.waitForURL(/\/citizen\/consents\/[0-9a-f-]+\/withdraw$/);
		await page.getByTestId('withdraw-confirm').waitFor();
		await expectNoSeriousA11yViolations(page);
		await tabTo(page, 'withdraw-reason');
		await page.keyboard.type('Vi har pratat hemma och vill inte längre.');
		await tabTo(page, 'withdraw-confirm');
		await page.keyboard.press('Enter');
		await page.getByTestId('withdraw-done').waitFor();
		await expectNoSeriousA11yViolations(page);

		const receipt = await downloadJson(page, () => page.getByTestId('withdrawal-receipt').click());
		expect(typeof receipt.signature).toBe('string');

		await police.reload();
		expect(await police.locator('h1').first().textContent()).toContain(NOT_FOUND);

		await page.goto('/citizen/consents');
		expect(await page.getByTestId('consent-status').first().textContent()).toContain('Återkallat');
		expect(await page.getByTestId('consent-withdraw').count()).toBe(0);
	});

	it('declines another request, with a reason; nothing is shared because of it', async () => {
		await api('POST', `/api/cases/${childCaseId}/consent-requests`, {
			agencyIds: [socialAgencyId, policeAgencyId],
			categories: ['identity', 'health'],
			purpose: 'Att vården och polisen kan prata om Noors hälsa.',
			validFrom: today(),
			validTo: inMonths(3)
		});
		await page.goto('/citizen/requests');
		const open = page.getByTestId('citizen-request').filter({ has: page.getByTestId('request-decline') });
		expect(await open.count()).toBe(1);
		await open.getByLabel('Varför inte? (du behöver inte svara)').fill('Vi vill prata med socialsekreteraren först.');
		await open.getByTestId('request-decline').click();
		await page.getByTestId('request-declined').waitFor();
		expect(await page.getByTestId('request-decline').count()).toBe(0);
		expect(await page.getByTestId('citizen-request').allTextContents()).toContainEqual(expect.stringContaining('Du har sagt nej.'));
		await expectNoSeriousA11yViolations(page);
		await police.goto(`/cases/${childCaseId}`);
		expect(await police.locator('h1').first().textContent()).toContain(NOT_FOUND);
	});

	it('reads the pages in Arabic, right to left, and they pass the accessibility check', async () => {
		await page.goto('/citizen');
		await page.getByRole('button', { name: 'العربية' }).click();
		await page.waitForURL(`${baseUrl()}/citizen`);
		await page.locator('html[dir="rtl"][lang="ar"]').waitFor({ state: 'attached' });
		expect(await page.locator('h1').textContent()).toBe('نظرة عامة');
		await expectNoSeriousA11yViolations(page);
		for (const path of ['/citizen/consents', '/citizen/requests', '/citizen/disclosures']) {
			await page.goto(path);
			expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
			await expectNoSeriousA11yViolations(page);
		}
		// Staff pages stay Swedish or English: the same language cookie gives Swedish there.
		await page.goto('/login');
		expect(await page.locator('html').getAttribute('lang')).toBe('sv');
		expect(await page.locator('html').getAttribute('dir')).toBe('ltr');
		await page.goto('/citizen');
		await page.getByRole('button', { name: 'Svenska' }).click();
		await page.locator('html[dir="ltr"][lang="sv"]').waitFor({ state: 'attached' });
	});

	it('signs out', async () => {
		await page.goto('/citizen');
		await page.getByTestId('citizen-sign-out').click();
		await page.waitForURL(`${baseUrl()}/citizen?signedOut=1`);
		expect(await page.getByTestId('citizen-sign-in').count()).toBe(1);
		await page.goto('/citizen/consents');
		expect(page.url()).toBe(`${baseUrl()}/citizen`);
	});
});

describe('a 15-year-old, on a phone', () => {
	let context: BrowserContext;
	let page: Page;

	beforeAll(async () => {
		({ context, page } = await openPage(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true }));
	});

	/** One column on a narrow screen: nothing wider than the screen, and the main buttons big enough to hit. */
	async function expectPhoneLayout(): Promise<void> {
		const { scrollWidth, clientWidth } = await page.evaluate(() => ({
			scrollWidth: document.documentElement.scrollWidth,
			clientWidth: document.documentElement.clientWidth
		}));
		expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
		for (const button of await page.locator('main .button').all()) {
			expect((await button.boundingBox())?.height ?? 0).toBeGreaterThanOrEqual(44);
		}
	}

	afterAll(async () => {
		await context?.close();
	});

	it('signs in and sees their own consent', async () => {
		await citizenSignIn(page, citizens.youth);
		expect(await page.getByTestId('citizen-relation').first().textContent()).toContain('Du själv');
		await page.goto('/citizen/consents');
		const consent = page.getByTestId('citizen-consent');
		expect(await consent.count()).toBe(1);
		expect(await consent.locator('h2').textContent()).toBe('Samtycke om dig');
		expect(await consent.getByTestId('consent-categories').textContent()).toContain('Skola');
		await expectNoSeriousA11yViolations(page);
		await expectPhoneLayout();
	});

	it('answers a request with a sign-in that is too old: signs in again, comes back and answers', async () => {
		await api('POST', `/api/cases/${youthCaseId}/consent-requests`, {
			agencyIds: [socialAgencyId, policeAgencyId],
			categories: ['identity', 'leisure'],
			purpose: 'Att fritidsgården och polisen kan hjälpa Vide på kvällarna.',
			validFrom: today(),
			validTo: inMonths(3)
		});
		// The sign-in happened long enough ago that it no longer counts as a signature.
		await db.query("UPDATE citizen_session SET authenticated_at = now() - interval '1 hour' WHERE personal_identity_number = $1", [
			citizens.youth.personalIdentityNumber
		]);
		await page.goto('/citizen/requests');
		await page.getByTestId('citizen-request').getByTestId('request-accept').click();
		await page.waitForURL(`${baseUrl()}/citizen/login/again?returnTo=%2Fcitizen%2Frequests`);
		await expectNoSeriousA11yViolations(page);
		await page.getByTestId('citizen-sign-in-again').click();
		await provideCredentials(page, citizens.youth);
		await page.waitForURL(`${baseUrl()}/citizen/requests`);
		await expectPhoneLayout();
		await page.getByTestId('citizen-request').getByTestId('request-accept').click();
		await page.getByTestId('request-accepted').waitFor();
		expect(await page.getByTestId('request-status').textContent()).toContain('Du har sagt ja.');
	});

	it('gets "not found" for a consent that is not theirs, on an accessible page', async () => {
		const { rows } = await db.query<{ id: string }>('SELECT id FROM consent WHERE case_id = $1 LIMIT 1', [childCaseId]);
		const response = await page.goto(`/citizen/consents/${rows[0]!.id}/withdraw`);
		expect(response?.status()).toBe(404);
		expect(await page.locator('h1').textContent()).toBe('Sidan finns inte');
		expect(await page.content()).not.toContain(child.firstName);
		await expectNoSeriousA11yViolations(page);
		const receipt = await page.request.get(`/citizen/consents/${rows[0]!.id}/receipt`);
		expect(receipt.status()).toBe(404);
	});
});

describe('a guardian without custody', () => {
	it('signs in and sees nothing about the child', async () => {
		const { context, page } = await openPage(browser);
		await citizenSignIn(page, citizens.guardianWithoutCustody);
		expect(await page.getByTestId('citizen-relation').count()).toBe(0);
		expect(await page.getByTestId('citizen-nothing').count()).toBe(1);
		expect(await page.content()).not.toContain(child.firstName);
		await expectNoSeriousA11yViolations(page);
		for (const [path, empty] of [
			['/citizen/consents', 'citizen-no-consents'],
			['/citizen/requests', 'citizen-no-requests']
		] as const) {
			await page.goto(path);
			expect(await page.getByTestId(empty).count()).toBe(1);
			expect(await page.content()).not.toContain(child.firstName);
		}
		await context.close();
	});
});

describe('a guardian of a child with sekretessmarkering', () => {
	it('sees only "contact your social worker" until a secrecy review', async () => {
		const protectedName = `Skyddad${unique}`;
		await openCase({
			personalIdentityNumber: freshPersonnummer(10),
			firstName: 'Iris',
			lastName: protectedName,
			protectedIdentity: 'sekretessmarkering',
			guardians: [
				{
					firstName: 'Lina',
					lastName: protectedName,
					personalIdentityNumber: citizens.guardianOfProtected.personalIdentityNumber,
					custody: true
				}
			]
		});
		const { context, page } = await openPage(browser);
		await citizenSignIn(page, citizens.guardianOfProtected);
		const relation = page.getByTestId('citizen-relation');
		expect(await relation.count()).toBe(1);
		expect((await relation.textContent())?.trim()).toBe('Kontakta din socialsekreterare');
		expect(await page.content()).not.toContain('Iris');
		await expectNoSeriousA11yViolations(page);
		await context.close();
	});
});

describe('a sign-in that did not start here', () => {
	it('is refused with an explanation, on an accessible page', async () => {
		const { context, page } = await openPage(browser);
		await page.goto('/citizen/login/callback?state=not-mine&code=x');
		expect(await page.locator('h1').textContent()).toBe('Det gick inte att logga in');
		expect(await page.getByRole('alert').textContent()).toContain('Försök igen');
		await expectNoSeriousA11yViolations(page);
		await context.close();
	});
});

describe('someone signed out', () => {
	it('reads the start page in Arabic, right to left, and it passes the accessibility check', async () => {
		const { context, page } = await openPage(browser);
		await page.goto('/citizen');
		await page.getByRole('button', { name: 'العربية' }).click();
		await page.locator('html[dir="rtl"][lang="ar"]').waitFor({ state: 'attached' });
		expect(await page.getByTestId('citizen-sign-in').textContent()).toBe('تسجيل الدخول بالهوية الإلكترونية');
		await expectNoSeriousA11yViolations(page);
		await context.close();
	});
});
