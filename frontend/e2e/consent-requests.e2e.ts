import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiUrl, baseUrl, demoPassword, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * The staff side of the person's own view: the social worker prepares a consent request that the
 * guardians answer with their e-identification, sees it open and whom it awaits, and cancels one;
 * a consent the guardian withdrew themselves says so (no staff name); and for a young person with
 * protected identity the social worker releases the citizen view.
 */

let browser: Browser;
let token = '';

/** A valid personnummer (Luhn check digit) for someone who turned `age` about 100 days ago. */
function personnummerAged(age: number): string {
	const born = new Date();
	born.setUTCFullYear(born.getUTCFullYear() - age);
	born.setUTCDate(born.getUTCDate() - 100);
	const ymd = born.toISOString().slice(0, 10).replaceAll('-', '');
	const serial = String(100 + Math.floor(Math.random() * 900));
	const nine = `${ymd.slice(2)}${serial}`;
	let sum = 0;
	for (let i = 0; i < 9; i++) {
		let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
		if (d > 9) d -= 9;
		sum += d;
	}
	return `${ymd}${serial}${(10 - (sum % 10)) % 10}`;
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
	const response = await fetch(`${apiUrl()}${path}`, {
		method,
		headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		...(body === undefined ? {} : { body: JSON.stringify(body) })
	});
	if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
	return (await response.json()) as T;
}

interface CaseDetail {
	id: string;
	ownerAgencyId: string;
	subject: { guardians: { id: string; firstName: string; protectedIdentity: string }[] };
}

const lastName = `Begäransson${Math.floor(Math.random() * 10000)}`;
const guardianA = `Anna ${lastName}`;
const guardianB = `Bo ${lastName}`;
let policeId = '';
let caseId = '';
let protectedCaseId = '';
let ownerId = '';
let annaId = '';

/** SQL as the test database's superuser (the citizen's own writes, which have no staff route). */
async function sql(text: string, values: unknown[]): Promise<void> {
	const db = new pg.Client({ connectionString: inject('DATABASE_URL') });
	await db.connect();
	try {
		await db.query(text, values);
	} finally {
		await db.end();
	}
}

/** A case for a 12-year-old with two custodial guardians (and the police taking part), through the API. */
async function openCase(protectedIdentity: 'none' | 'skyddad_folkbokforing'): Promise<CaseDetail> {
	const created = await api<CaseDetail>('POST', '/api/cases', {
		type: 'sspf',
		area: 'Norrby',
		reason: 'Oro från skolan.',
		subject: {
			personalIdentityNumber: personnummerAged(12),
			firstName: 'Noa',
			lastName,
			protectedIdentity,
			guardians: [
				{ firstName: 'Anna', lastName, personalIdentityNumber: personnummerAged(40), custody: true },
				{ firstName: 'Bo', lastName, personalIdentityNumber: personnummerAged(42), custody: true }
			]
		}
	});
	await api('POST', `/api/cases/${created.id}/participants`, { agencyId: policeId });
	return created;
}

async function saved(page: Page, text: string): Promise<void> {
	await page.locator('[role="status"] .notice', { hasText: text }).waitFor();
}

const requestCards = (page: Page) => page.getByTestId('consent-request');

beforeAll(async () => {
	browser = await launchBrowser();
	const signIn = await fetch(`${apiUrl()}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ username: 'social', password: demoPassword() })
	});
	token = ((await signIn.json()) as { accessToken: string }).accessToken;
	const options = await api<{ agencies: { id: string; kind: string }[] }>('GET', '/api/cases/options');
	policeId = options.agencies.find((a) => a.kind === 'police')!.id;
	const created = await openCase('none');
	caseId = created.id;
	ownerId = created.ownerAgencyId;
	protectedCaseId = (await openCase('skyddad_folkbokforing')).id;

	// A consent guardian Anna gave, which she then withdrew herself in My consents (set up in the
	// database as the citizen withdrawal writes it: no staff user, who, and her reason).
	const anna = created.subject.guardians.find((g) => g.firstName === 'Anna')!;
	annaId = anna.id;
	const consent = await api<{ id: string }>('POST', `/api/cases/${caseId}/consents`, {
		givenBy: { kind: 'guardian', guardianId: anna.id },
		agencyIds: [ownerId, policeId],
		categories: ['identity', 'social'],
		purpose: 'Samordnat stöd kring skolgång.',
		validFrom: inDays(0),
		validTo: inDays(90),
		method: 'written',
		evidenceRef: 'Dnr IFO 2026/77'
	});
	await sql(
		`UPDATE consent SET withdrawn_at = now(), withdrawn_by_kind = 'guardian', withdrawn_by_guardian_id = $2,
		   withdrawal_reason = 'Vi vill prata först.' WHERE id = $1`,
		[consent.id, anna.id]
	);
});

afterAll(async () => {
	await browser?.close();
});

describe('consent requests on the case’s consents page', () => {
	let page: Page;

	beforeAll(async () => {
		({ page } = await openPage(browser));
		await login(page, 'social');
	});

	afterAll(async () => {
		await page?.context().close();
	});

	it('shows a consent the guardian withdrew with e-identification as withdrawn by her, naming no staff', async () => {
		await page.goto(`/cases/${caseId}/consents`);
		const withdrawal = page.getByTestId('consent-withdrawal');
		await expect.poll(() => withdrawal.textContent()).toContain(`av vårdnadshavaren ${guardianA} via e-legitimation`);
		const text = (await withdrawal.textContent()) ?? '';
		expect(text).toContain('Anledning: Vi vill prata först.');
		expect(text).not.toContain('Sara Lind');
		expect(text).not.toContain('handläggare');
		expect(await page.getByTestId('consent-status').first().textContent()).toContain('Återkallat');
		await expect(requestCards(page).count()).resolves.toBe(0);
		await expectNoSeriousA11yViolations(page);
	});

	it('the social worker sends a request with the keyboard alone; it is open and awaits each custodial guardian', async () => {
		await page.goto(`/cases/${caseId}/consents`);
		await page.locator('a', { hasText: 'Skicka en samtyckesbegäran' }).focus();
		await page.keyboard.press('Enter');
		await page.waitForURL(`${baseUrl()}/cases/${caseId}/consents/requests/new`);
		await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
		await expectNoSeriousA11yViolations(page);

		// The police box: focus it and press Space, as a keyboard user does.
		await page.locator(`input[name="agencyIds"][value="${policeId}"]`).focus();
		await page.keyboard.press('Space');
		await page.locator('input[name="categories"][value="social"]').focus();
		await page.keyboard.press('Space');
		await page.locator('#purpose').focus();
		await page.keyboard.type('Samordnat stöd kring skolgång och fritid.');
		await page.keyboard.press('Tab');
		await page.keyboard.type('Skolan och polisen får veta att Noa har stöd från socialtjänsten.');
		await page.locator('#validTo').fill(inDays(120));
		await page.locator('#answerBy').fill(inDays(14));
		await page.locator('button', { hasText: 'Skicka begäran' }).focus();
		await page.keyboard.press('Enter');

		await page.waitForURL(`${baseUrl()}/cases/${caseId}/consents?saved=requested#consent-requests-heading`);
		await saved(page, 'Begäran är skickad');
		const card = requestCards(page).first();
		expect(await card.getByTestId('consent-request-status').textContent()).toContain('Väntar på svar');
		const awaiting = (await card.getByTestId('consent-request-awaiting').textContent()) ?? '';
		expect(awaiting).toContain(`${guardianA} (vårdnadshavare)`);
		expect(awaiting).toContain(`${guardianB} (vårdnadshavare)`);
		expect(await card.getByTestId('consent-request-answered').textContent()).toContain('Ingen har svarat än.');
		expect(await card.textContent()).toContain('Skolan och polisen får veta att Noa har stöd från socialtjänsten.');
		await expectNoSeriousA11yViolations(page);
	});

	it('refuses an answer-by date in the past and says what to do', async () => {
		await page.goto(`/cases/${caseId}/consents/requests/new`);
		await page.locator(`input[name="agencyIds"][value="${policeId}"]`).check();
		await page.locator('#purpose').fill('Samordnat stöd.');
		await page.locator('#validTo').fill(inDays(60));
		await page.locator('#answerBy').fill(inDays(-2));
		await page.locator('button', { hasText: 'Skicka begäran' }).click();
		const summary = page.locator('.error-summary');
		await summary.waitFor();
		expect(await summary.textContent()).toContain('Datumet har redan passerat');
		await expect.poll(() => page.evaluate(() => document.activeElement?.classList.contains('error-summary'))).toBe(true);
	});

	it('cancels one open request; the other stays open', async () => {
		await api('POST', `/api/cases/${caseId}/consent-requests`, {
			agencyIds: [ownerId, policeId],
			categories: ['identity', 'school'],
			purpose: 'En andra begäran, om skolan.',
			validFrom: inDays(0),
			validTo: inDays(60)
		});
		await page.goto(`/cases/${caseId}/consents`);
		await expect.poll(() => requestCards(page).count()).toBe(2);
		const newest = requestCards(page).first();
		expect(await newest.textContent()).toContain('En andra begäran, om skolan.');
		await newest.locator('button', { hasText: 'Avbryt begäran' }).click();
		await saved(page, 'Begäran är avbruten');
		await expect.poll(() => requestCards(page).first().getByTestId('consent-request-status').textContent()).toContain('Avbruten');
		expect(await requestCards(page).nth(1).getByTestId('consent-request-status').textContent()).toContain('Väntar på svar');
		await expect(requestCards(page).first().locator('button', { hasText: 'Avbryt begäran' }).count()).resolves.toBe(0);
		const listed = await api<{ items: { status: string }[] }>('GET', `/api/cases/${caseId}/consent-requests`);
		expect(listed.items.map((r) => r.status).sort()).toEqual(['cancelled', 'open']);
	});

	it('shows who has answered: a guardian who declined with e-identification; the request is declined and cannot be cancelled', async () => {
		const open = (await api<{ items: { id: string; status: string }[] }>('GET', `/api/cases/${caseId}/consent-requests`)).items.find(
			(r) => r.status === 'open'
		)!;
		// As the citizen's decline writes it: the answer with the e-identification's evidence.
		await sql(
			`INSERT INTO consent_request_answer (id, request_id, answered_by_kind, guardian_id, decision, acr, assertion_sha256, transaction_ref)
			 VALUES (gen_random_uuid(), $1, 'guardian', $2, 'decline', 'http://id.elegnamnden.se/loa/1.0/loa3', repeat('ab', 32), 'e2e-txn-1')`,
			[open.id, annaId]
		);
		await page.goto(`/cases/${caseId}/consents`);
		const card = requestCards(page).nth(1);
		expect(await card.getByTestId('consent-request-status').textContent()).toContain('Avböjd');
		expect(await card.getByTestId('consent-request-answered').textContent()).toContain(`${guardianA} (vårdnadshavare): nej`);
		await expect(card.locator('button', { hasText: 'Avbryt begäran' }).count()).resolves.toBe(0);
		await expectNoSeriousA11yViolations(page);
	});
});

describe('the citizen view for a young person with protected identity', () => {
	let page: Page;

	beforeAll(async () => {
		({ page } = await openPage(browser));
		await login(page, 'social');
	});

	afterAll(async () => {
		await page?.context().close();
	});

	it('says nothing is decided, asks for a decision and a reason, then records a release', async () => {
		await page.goto(`/cases/${protectedCaseId}`);
		const section = page.getByTestId('citizen-access');
		await section.waitFor();
		expect(await section.getByTestId('citizen-access-latest').textContent()).toContain('Inget beslut ännu');
		await expectNoSeriousA11yViolations(page);

		await section.locator('button', { hasText: 'Spara beslut' }).click();
		const summary = section.locator('.error-summary');
		await summary.waitFor();
		expect(await summary.textContent()).toContain('Välj om uppgifterna ska lämnas ut');

		// With the keyboard: Space picks the radio button, the select takes the reason.
		await section.locator('#decision-subject').focus();
		await page.keyboard.press('Space');
		await section.locator('#reasonCode-subject').selectOption('no_harm');
		await section.locator('button', { hasText: 'Spara beslut' }).focus();
		await page.keyboard.press('Enter');
		await saved(page, 'Beslutet är sparat');
		await expect
			.poll(() => section.getByTestId('citizen-access-latest').textContent())
			.toContain('Senaste beslut: lämnas ut (Ingen risk för skada eller men)');
		expect(await section.getByTestId('citizen-access-latest').textContent()).toContain('Sara Lind');
		const reviews = await api<{ items: { person: string; decision: string; reasonCode: string }[] }>(
			'GET',
			`/api/cases/${protectedCaseId}/citizen-access-reviews`
		);
		expect(reviews.items).toEqual([expect.objectContaining({ person: 'subject', decision: 'release', reasonCode: 'no_harm' })]);
		await expectNoSeriousA11yViolations(page);
	});

	it('records a guardian’s own protected identity with a new case, and withholds the view from her', async () => {
		const guardianLast = `Skyddsson${Math.floor(Math.random() * 10000)}`;
		await page.goto('/cases/new');
		await page.locator('#pin').fill(personnummerAged(10));
		await page.locator('#firstName').fill('Ida');
		await page.locator('#lastName').fill(guardianLast);
		await page.locator('#g0-firstName').fill('Eva');
		await page.locator('#g0-lastName').fill(guardianLast);
		await page.locator('#g0-pin').fill(personnummerAged(38));
		await page.locator('#g0-protectedIdentity').selectOption('skyddad_folkbokforing');
		await page.locator('#type-sspf').check();
		await page.locator('#area').selectOption('Norrby');
		await page.locator('#reason').fill('Oro från skolan.');
		await page.locator('form button.button', { hasText: 'Öppna ärendet' }).click();
		await page.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
		const detail = await api<CaseDetail>('GET', `/api/cases/${new URL(page.url()).pathname.split('/').pop()}`);
		expect(detail.subject.guardians.map((g) => g.protectedIdentity)).toEqual(['skyddad_folkbokforing']);

		expect(await page.getByTestId('guardians').textContent()).toContain('Skyddad folkbokföring');
		const section = page.getByTestId('citizen-access');
		await section.waitFor();
		expect(await section.locator('h3').textContent()).toContain(`Eva ${guardianLast} (vårdnadshavare)`);
		const guardianId = detail.subject.guardians[0]!.id;
		await section.locator(`#decision-${guardianId}-withhold`).check();
		await section.locator(`#reasonCode-${guardianId}`).selectOption('protected_whereabouts');
		await section.locator('button', { hasText: 'Spara beslut' }).click();
		await saved(page, 'Beslutet är sparat');
		await expect
			.poll(() => section.getByTestId('citizen-access-latest').textContent())
			.toContain('Senaste beslut: lämnas inte ut (Skyddad vistelseort eller adress)');
		await expectNoSeriousA11yViolations(page);
	});

	it('is not shown on a case where nobody has protected identity', async () => {
		await page.goto(`/cases/${caseId}`);
		await page.locator('#subject-heading').waitFor();
		await expect(page.getByTestId('citizen-access').count()).resolves.toBe(0);
	});
});
