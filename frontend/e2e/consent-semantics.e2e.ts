import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, demoUser, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * Consent semantics a caseworker can predict (issue 11, section 2), in a real browser: the school
 * sees exactly what the consent in force names; the school always sees what it wrote itself; a
 * withdrawal stops what crosses to the school at once, yet never takes from the owning unit what
 * it already received; without identity the case is closed to the school. Roles without case
 * access get the same "not found or no access" page as anyone else.
 */

let browser: Browser;

beforeAll(async () => {
	browser = await launchBrowser();
});

afterAll(async () => {
	await browser?.close();
});

/** A valid personnummer (Luhn check digit) for someone who turned `age` about 100 days ago. */
function personnummerAged(age: number): string {
	const born = new Date();
	born.setUTCFullYear(born.getUTCFullYear() - age);
	born.setUTCDate(born.getUTCDate() - 100);
	const yyyy = String(born.getUTCFullYear());
	const mm = String(born.getUTCMonth() + 1).padStart(2, '0');
	const dd = String(born.getUTCDate()).padStart(2, '0');
	const serial = String(100 + Math.floor(Math.random() * 900));
	const nine = `${yyyy.slice(2)}${mm}${dd}${serial}`;
	let sum = 0;
	for (let i = 0; i < 9; i++) {
		let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
		if (d > 9) d -= 9;
		sum += d;
	}
	return `${yyyy}${mm}${dd}-${serial}${(10 - (sum % 10)) % 10}`;
}

function monthsFromNow(months: number): string {
	const d = new Date();
	return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, Math.min(d.getUTCDate(), 28))).toISOString().slice(0, 10);
}

// An adult: only the person's own consent is required, so one consent at a time decides.
const pin = personnummerAged(18);
const firstName = 'Kim';
const lastName = `Dörrsson${Math.floor(Math.random() * 10000)}`;
const subjectParty = `${firstName} ${lastName} (personen själv)`;
const REASON = 'Oro för frånvaro och nya kontakter i Norrby.';
const SOCIAL_ENTRY = 'Socialtjänstens samtal med den unge om stödet.';
const HEALTH_ENTRY = 'Remiss till beroendemottagningen är skickad.';
const SCHOOL_ENTRY = 'Skolan: närvaron har ökat de senaste två veckorna.';
const NOT_FOUND = 'Ärendet finns inte eller så har du inte behörighet';

let caseUrl = '';
let schoolName = '';
let policeName = '';
let socialName = '';

const h1 = (page: Page) => page.locator('h1').first().textContent();
const mainText = async (page: Page) => (await page.locator('main').textContent()) ?? '';

async function saved(page: Page, text: string): Promise<void> {
	await page.locator('[role="status"] .notice', { hasText: text }).waitFor();
}

async function writeEntry(page: Page, category: string, text: string): Promise<void> {
	await page.goto(`${caseUrl}/journal`);
	await page.locator('#category').selectOption(category);
	await page.locator('#text').fill(text);
	await page.locator('button', { hasText: 'Spara anteckningen' }).click();
}

/** Fills the consent form: the person's own consent for social services and the school. */
async function fillConsent(page: Page, categories: readonly string[]): Promise<void> {
	await page.goto(`${caseUrl}/consents/new`);
	await page.locator('.consent-form label', { hasText: subjectParty }).click();
	await page.locator('#method').check();
	await page.locator('#evidenceRef').fill('Dnr IFO 2026/456');
	await page.locator('.consent-form label', { hasText: schoolName }).click();
	for (const c of categories) await page.locator(`input[name="categories"][value="${c}"]`).check();
	await page.locator('#purpose').fill('Samordnat stöd kring skolgången.');
	await page.locator('#validTo').fill(monthsFromNow(6));
}

async function submitConsent(page: Page): Promise<void> {
	await page.locator('button', { hasText: 'Registrera samtycket' }).click();
	await page.waitForURL(`${baseUrl()}${caseUrl}/consents?saved=recorded`);
	await saved(page, 'Samtycket är registrerat');
}

/** Withdraws the consent in force (the only one with a withdraw link), through the confirmation step. */
async function withdrawConsent(page: Page, reason: string): Promise<void> {
	await page.goto(`${caseUrl}/consents`);
	await page.getByTestId('consent').locator('a', { hasText: 'Återkalla' }).first().click();
	await page.waitForURL(`${baseUrl()}${caseUrl}/consents/**/withdraw`);
	await page.locator('#reason').fill(reason);
	await page.locator('button', { hasText: 'Fortsätt' }).click();
	await page.locator('button', { hasText: 'Ja, återkalla samtycket' }).click();
	await page.waitForURL(`${baseUrl()}${caseUrl}/consents?saved=withdrawn`);
	await saved(page, 'Samtycket är återkallat');
}

/** The row for a category in the matrix table of a pair of agencies (in either order). */
const matrixRow = (page: Page, a: string, b: string, category: string) =>
	page
		.getByTestId('consent-matrix')
		.filter({ has: page.locator('caption', { hasText: a }) })
		.filter({ has: page.locator('caption', { hasText: b }) })
		.getByTestId(`matrix-${category}`);
const rowText = async (page: Page, a: string, b: string, category: string) => (await matrixRow(page, a, b, category).textContent()) ?? '';

describe('what crosses to the school follows the consent in force, step by step', () => {
	let social: Page;
	let school: Page;

	beforeAll(async () => {
		schoolName = (await demoUser('school')).agencyName;
		policeName = (await demoUser('police')).agencyName;
		socialName = (await demoUser('social')).agencyName;
		({ page: social } = await openPage(browser));
		await login(social, 'social');
		({ page: school } = await openPage(browser));
		await login(school, 'school');
	});

	afterAll(async () => {
		await social?.context().close();
		await school?.context().close();
	});

	it('the social worker opens the case, adds the school and the police, writes entries and a plan item', async () => {
		await social.goto('/cases/new');
		await social.locator('#pin').fill(pin);
		await social.locator('#firstName').fill(firstName);
		await social.locator('#lastName').fill(lastName);
		await social.locator('#type-sspf').check();
		await social.locator('#area').selectOption('Norrby');
		await social.locator('#reason').fill(REASON);
		await social.locator('form button.button', { hasText: 'Öppna ärendet' }).click();
		await social.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
		caseUrl = new URL(social.url()).pathname;

		for (const name of [schoolName, policeName]) {
			const id = await social.locator('#agencyId option', { hasText: name }).getAttribute('value');
			await social.locator('#agencyId').selectOption(id!);
			await social.locator('button', { hasText: /^Lägg till$/ }).click();
			await saved(social, 'Aktören är tillagd');
		}

		await writeEntry(social, 'social', SOCIAL_ENTRY);
		await saved(social, 'Anteckningen är sparad');
		await writeEntry(social, 'health', HEALTH_ENTRY);
		await saved(social, 'Anteckningen är sparad');

		await social.goto(`${caseUrl}/plan`);
		await social.locator('#lifeArea').selectOption('crime');
		await social.locator('#goal').fill('Inga nya kontakter med gänget');
		await social.locator('#action').fill('Kontaktpolisen träffar den unge varannan vecka');
		const police = await social.locator('#responsibleAgencyId option', { hasText: policeName }).getAttribute('value');
		await social.locator('#responsibleAgencyId').selectOption(police!);
		await social.locator('button', { hasText: 'Lägg till insatsen' }).click();
		await saved(social, 'Insatsen är tillagd');

		expect((await school.goto(caseUrl))?.status()).toBe(404);
	});

	it('the consent form always includes identity, says why, and shows the API’s refusal without it on the field', async () => {
		await fillConsent(social, ['school', 'social', 'plan']);
		const identity = social.locator('#categories-identity');
		expect(await identity.isChecked()).toBe(true);
		expect(await identity.isDisabled()).toBe(true);
		expect(await identity.getAttribute('aria-describedby')).toBe('identity-always');
		expect(await social.getByTestId('identity-always').textContent()).toBe(
			'Identitet ingår alltid: allt informationsutbyte gäller en identifierad person, och utan den kan ingen aktör öppna ärendet.'
		);
		await expectNoSeriousA11yViolations(social);

		// A form sent without identity (as if tampered with) gets the API's 400 identity_required.
		await social.evaluate(() => document.querySelector('input[type="hidden"][name="categories"]')?.remove());
		await social.locator('button', { hasText: 'Registrera samtycket' }).click();
		await social.waitForFunction(() => document.activeElement?.classList.contains('error-summary'));
		expect(await social.locator('.error-summary').textContent()).toContain('Identitet ingår alltid');
		expect(await social.locator('#categories-error').textContent()).toContain('Identitet ingår alltid');
		await expectNoSeriousA11yViolations(social);

		// What was filled in stays; the form as served (with identity) records the consent.
		expect(await social.locator('input[name="categories"][value="social"]').isChecked()).toBe(true);
		expect(await social.locator('#purpose').inputValue()).toBe('Samordnat stöd kring skolgången.');
		await fillConsent(social, ['school', 'social', 'plan']);
		await submitConsent(social);
		const consent = social.getByTestId('consent').first();
		expect(await consent.textContent()).toContain('Identitet och personliga förhållanden');
	});

	it('the matrix says open where the consent reaches, and why it is closed elsewhere, in words', async () => {
		expect(await rowText(social, socialName, schoolName, 'identity')).toContain('Öppen');
		expect(await rowText(social, socialName, schoolName, 'social')).toContain('Öppen');
		const health = await rowText(social, socialName, schoolName, 'health');
		expect(health).toContain('Stängd');
		expect(health).toContain('Samtycke saknas för den här kategorin mellan aktörerna.');
		expect(health).toContain(`${subjectParty}: samtycke saknas`);
		// The police are in the case but not named in the consent: nothing of the school's reaches them.
		expect(await rowText(social, schoolName, policeName, 'school')).toContain('Aktörerna är inte namngivna tillsammans');
		await expectNoSeriousA11yViolations(social);
	});

	it('the school sees exactly what the consent names, and nothing of the police', async () => {
		expect((await school.goto(caseUrl))?.status()).toBe(200);
		expect(await h1(school)).toContain(`${firstName} ${lastName}`);
		expect(await school.getByTestId('case-reason').textContent()).toBe(REASON);
		const participants = (await school.getByTestId('participants').textContent()) ?? '';
		expect(participants).toContain(schoolName);
		expect(participants).not.toContain(policeName);
		expect(await mainText(school)).not.toContain(policeName);
		expect(await mainText(school)).toContain('Du ser bara de aktörer som samtycket nämner tillsammans med din aktör.');
		await expectNoSeriousA11yViolations(school);

		await school.goto(`${caseUrl}/plan`);
		expect(await school.getByTestId('plan-item-responsible').textContent()).toContain('En annan aktör');
		expect(await mainText(school)).not.toContain(policeName);
		await expectNoSeriousA11yViolations(school);

		await school.goto(`${caseUrl}/journal`);
		const entries = (await school.getByTestId('entries').textContent()) ?? '';
		expect(entries).toContain(SOCIAL_ENTRY);
		expect(entries).toContain(socialName);
		expect(entries).not.toContain(HEALTH_ENTRY);
		expect(await school.getByTestId('withheld').textContent()).toContain(
			'1 anteckning i kategorin Hälsa och behandling visas inte: samtycke saknas'
		);
	});

	it('the school writes an entry, which the owning unit receives', async () => {
		await writeEntry(school, 'school', SCHOOL_ENTRY);
		await saved(school, 'Anteckningen är sparad');
		expect(await school.getByTestId('entries').textContent()).toContain(SCHOOL_ENTRY);
		await expectNoSeriousA11yViolations(school);

		await social.goto(`${caseUrl}/journal`);
		expect(await social.getByTestId('entries').textContent()).toContain(SCHOOL_ENTRY);
	});

	it('social withdrawn: the school loses the reason and the owner’s social entries at once, not its own', async () => {
		await withdrawConsent(social, 'Den unge vill inte att skolan får socialtjänstens uppgifter.');
		await fillConsent(social, ['school', 'plan']);
		await submitConsent(social);
		const socialRow = await rowText(social, socialName, schoolName, 'social');
		expect(socialRow).toContain('Stängd');
		expect(socialRow).toContain('Samtycket är återkallat.');
		expect(await rowText(social, socialName, schoolName, 'school')).toContain('Öppen');

		await school.goto(caseUrl);
		expect(await school.getByTestId('case-reason-withheld').textContent()).toBe(
			'Anledningen delas inte med din aktör enligt de samtycken som gäller.'
		);
		expect(await mainText(school)).not.toContain(REASON);
		expect(await school.getByTestId('withheld').textContent()).toContain('i kategorin Socialtjänst visas inte: samtycket är återkallat');
		await expectNoSeriousA11yViolations(school);

		await school.goto(`${caseUrl}/journal`);
		const entries = (await school.getByTestId('entries').textContent()) ?? '';
		expect(entries).toContain(SCHOOL_ENTRY);
		expect(entries).not.toContain(SOCIAL_ENTRY);
		expect(await school.getByTestId('withheld').textContent()).toContain(
			'1 anteckning i kategorin Socialtjänst visas inte: samtycket är återkallat'
		);
	});

	it('school withdrawn: the school keeps its own entries, and a new one is refused with a clear message', async () => {
		await withdrawConsent(social, 'Den unge vill inte att skolans uppgifter delas längre.');
		await fillConsent(social, ['plan']);
		await submitConsent(social);

		await school.goto(`${caseUrl}/journal`);
		expect(await school.getByTestId('entries').textContent()).toContain(SCHOOL_ENTRY);

		await writeEntry(school, 'school', 'Skolan: ny uppgift som inte får lämnas.');
		await school.waitForFunction(() => document.activeElement?.classList.contains('error-summary'));
		expect(await school.locator('.error-summary').textContent()).toContain(
			'Anteckningen är inte sparad: de samtycken som gäller låter inte uppgifter i den här kategorin gå till den ansvariga socialtjänsten.'
		);
		expect(await school.locator('#category').getAttribute('aria-invalid')).toBe('true');
		expect(await school.locator('#text').inputValue()).toBe('Skolan: ny uppgift som inte får lämnas.');
		await expectNoSeriousA11yViolations(school);
	});

	it('identity withdrawn: the case is closed to the school, while the owner keeps what it received', async () => {
		await withdrawConsent(social, 'Den unge återkallar allt informationsutbyte med skolan.');
		expect(await rowText(social, socialName, schoolName, 'identity')).toContain('Stängd');

		for (const path of ['', '/journal', '/plan']) {
			const response = await school.goto(`${caseUrl}${path}`);
			expect(response?.status()).toBe(404);
			expect(await h1(school)).toBe(NOT_FOUND);
			expect(await mainText(school)).not.toContain(lastName);
		}
		await expectNoSeriousA11yViolations(school);

		await social.goto(`${caseUrl}/journal`);
		const entries = (await social.getByTestId('entries').textContent()) ?? '';
		expect(entries).toContain(SCHOOL_ENTRY);
		expect(entries).toContain(schoolName);
	});

	it.each(['coordinator', 'auditor', 'admin'])('%s: a case link gives the polite not-found page, not an error', async (user) => {
		const { page } = await openPage(browser);
		try {
			await login(page, user);
			const response = await page.goto(caseUrl);
			expect(response?.status()).toBe(404);
			expect(await h1(page)).toBe(NOT_FOUND);
			expect(await mainText(page)).not.toContain(lastName);
			await expectNoSeriousA11yViolations(page);
		} finally {
			await page.context().close();
		}
	});
});
