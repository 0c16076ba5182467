import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, demoUser, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * Consent end to end: a case for a 12-year-old with two custodial guardians is hidden from the
 * police until BOTH guardians have consented, shows the police only the consented categories (and
 * says what it keeps back), and disappears again the moment one consent is withdrawn.
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

/** An ISO date `months` months from today (day clamped to 28, so it always exists). */
function monthsFromNow(months: number): string {
	const d = new Date();
	const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, Math.min(d.getUTCDate(), 28)));
	return target.toISOString().slice(0, 10);
}

const pin = personnummerAged(12);
const firstName = 'Noa';
const lastName = `Samtyckesson${Math.floor(Math.random() * 10000)}`;
const guardian1 = `Anna ${lastName}`;
const guardian2 = `Bo ${lastName}`;
const NOT_FOUND = 'Ärendet finns inte eller så har du inte behörighet';

let caseUrl = '';
let policeName = '';
let socialName = '';

const h1 = (page: Page) => page.locator('h1').first().textContent();

async function saved(page: Page, text: string): Promise<void> {
	await page.locator('[role="status"] .notice', { hasText: text }).waitFor();
}

async function writeEntry(page: Page, category: string, text: string): Promise<void> {
	await page.goto(`${caseUrl}/journal`);
	await page.locator('#category').selectOption(category);
	await page.locator('#text').fill(text);
	await page.locator('button', { hasText: 'Spara anteckningen' }).click();
	await saved(page, 'Anteckningen är sparad');
}

/** Fills the consent form for one guardian: social services and police, identity and social. */
async function recordConsent(page: Page, guardian: string): Promise<void> {
	await page.goto(`${caseUrl}/consents/new`);
	await page.locator('.consent-form label', { hasText: guardian }).click();
	await page.locator('#method').check();
	await page.locator('#evidenceRef').fill('Dnr IFO 2026/123');
	await page.locator('.consent-form label', { hasText: policeName }).click();
	await page.locator('input[name="categories"][value="social"]').check();
	await page.locator('#purpose').fill('Samordnat stöd kring skolgång och fritid enligt SSPF.');
	await page.locator('#validTo').fill(monthsFromNow(6));
	await page.locator('button', { hasText: 'Registrera samtycket' }).click();
	await page.waitForURL(`${baseUrl()}${caseUrl}/consents?saved=recorded`);
	await saved(page, 'Samtycket är registrerat');
}

/** The matrix row for `category` between social services and the police. */
const matrixRow = (page: Page, category: string) => page.getByTestId(`matrix-${category}`).first();

describe('consent gates what the police may see of a 12-year-old’s case', () => {
	let social: Page;
	let police: Page;

	beforeAll(async () => {
		policeName = (await demoUser('police')).agencyName;
		socialName = (await demoUser('social')).agencyName;
		({ page: social } = await openPage(browser));
		await login(social, 'social');
		({ page: police } = await openPage(browser));
		await login(police, 'police');
	});

	afterAll(async () => {
		await social?.context().close();
		await police?.context().close();
	});

	it('the social worker opens the case, adds the police and writes entries', async () => {
		await social.goto('/cases/new');
		await social.locator('#pin').fill(pin);
		await social.locator('#firstName').fill(firstName);
		await social.locator('#lastName').fill(lastName);
		await social.locator('#g0-firstName').fill('Anna');
		await social.locator('#g0-lastName').fill(lastName);
		await social.locator('#g1-firstName').fill('Bo');
		await social.locator('#g1-lastName').fill(lastName);
		await social.locator('#type-sspf').check();
		await social.locator('#area').selectOption('Norrby');
		await social.locator('#reason').fill('Oro från skolan och polisen.');
		await social.locator('form button.button', { hasText: 'Öppna ärendet' }).click();
		await social.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
		caseUrl = new URL(social.url()).pathname;

		const police = await social.locator('#agencyId option', { hasText: policeName }).getAttribute('value');
		await social.locator('#agencyId').selectOption(police!);
		await social.locator('button', { hasText: /^Lägg till$/ }).click();
		await saved(social, 'Aktören är tillagd');

		// The owner has the consent and disclosure tabs.
		expect(await social.locator('.sub-nav a', { hasText: 'Samtycken' }).count()).toBe(1);
		expect(await social.locator('.sub-nav a', { hasText: 'Utlämnanden' }).count()).toBe(1);

		await writeEntry(social, 'social', 'Samtal med vårdnadshavarna om stödet.');
		await writeEntry(social, 'health', 'Remiss till BUP är skickad.');
	});

	it('the police cannot find the case without consent', async () => {
		const response = await police.goto(caseUrl);
		expect(response?.status()).toBe(404);
		expect(await h1(police)).toBe(NOT_FOUND);
		expect((await police.locator('main').textContent()) ?? '').not.toContain(lastName);
	});

	it('explains the consent form and reports what is missing, with focus on the summary', async () => {
		await social.goto(`${caseUrl}/consents`);
		expect(await social.title()).toBe('Ärende: samtycken – Samverka');
		expect(await social.locator('.sub-nav a[aria-current="page"]').textContent()).toBe('Samtycken');
		expect(await social.getByTestId('consents').count()).toBe(0);
		await social.locator('a', { hasText: 'Registrera samtycke' }).click();
		await social.waitForURL(`${baseUrl()}${caseUrl}/consents/new`);
		expect(await social.title()).toBe('Ärende: registrera samtycke – Samverka');

		const required = (await social.getByTestId('required-parties').textContent()) ?? '';
		expect(required).toContain('12 år');
		expect(required).toContain(`${guardian1} (vårdnadshavare)`);
		expect(required).toContain(`${guardian2} (vårdnadshavare)`);
		expect(required).toContain('Varje vårdnadshavare med vårdnad lämnar ett eget samtycke');
		expect(await social.locator('#period-hint').textContent()).toContain('högst 12 månader');
		await expectNoSeriousA11yViolations(social);

		// Oral consent: the witness field is the one that shows.
		await social.locator('#method-oral').check();
		expect(await social.locator('#witness').isVisible()).toBe(true);
		expect(await social.locator('#evidenceRef').isVisible()).toBe(false);

		await social.locator('button', { hasText: 'Registrera samtycket' }).click();
		await social.waitForFunction(() => document.activeElement?.classList.contains('error-summary'));
		const summary = (await social.locator('.error-summary').textContent()) ?? '';
		expect(summary).toContain('Välj vem som lämnade samtycket');
		expect(summary).toContain('Fyll i vittnets namn');
		expect(summary).toContain('Välj minst två aktörer');
		// Identity is always part of a consent: checked, not changeable, and the form says why.
		expect(summary).not.toContain('kategori');
		expect(await social.locator('#categories-identity').isChecked()).toBe(true);
		expect(await social.locator('#categories-identity').isDisabled()).toBe(true);
		expect(await social.getByTestId('identity-always').textContent()).toContain('Identitet ingår alltid');
		expect(await social.locator('#witness').getAttribute('aria-invalid')).toBe('true');
		await expectNoSeriousA11yViolations(social);

		// The API's own rule on the period comes back on the end date field.
		await social.locator('.consent-form label', { hasText: guardian1 }).click();
		await social.locator('#method').check();
		await social.locator('#evidenceRef').fill('Dnr IFO 2026/123');
		await social.locator('.consent-form label', { hasText: policeName }).click();
		await social.locator('#purpose').fill('Samordnat stöd.');
		await social.locator('#validTo').fill(monthsFromNow(14));
		await social.locator('button', { hasText: 'Registrera samtycket' }).click();
		await social.waitForFunction(() => document.activeElement?.classList.contains('error-summary'));
		expect(await social.locator('.error-summary').textContent()).toContain('Perioden är för lång');
		expect(await social.locator('#validTo').getAttribute('aria-invalid')).toBe('true');
		expect(await social.locator('#purpose').inputValue()).toBe('Samordnat stöd.');
	});

	it('one guardian of two is not enough: the police still cannot find the case', async () => {
		await recordConsent(social, guardian1);
		const consent = social.getByTestId('consent').first();
		expect(await consent.textContent()).toContain(`Samtycke från ${guardian1} (vårdnadshavare)`);
		expect(await consent.getByTestId('consent-status').textContent()).toBe('Gäller');
		expect(await consent.textContent()).toContain(policeName);

		const identity = (await matrixRow(social, 'identity').textContent()) ?? '';
		expect(identity).toContain('Stängd');
		expect(identity).toContain(`${guardian2} (vårdnadshavare): samtycke saknas`);
		expect(await social.getByTestId('consent-matrix').first().locator('caption').textContent()).toBe(
			`Utbyte mellan ${socialName} och ${policeName}`
		);
		await expectNoSeriousA11yViolations(social);

		const response = await police.goto(caseUrl);
		expect(response?.status()).toBe(404);
		expect(await h1(police)).toBe(NOT_FOUND);
	});

	it('with both guardians’ consent the police see the case and the consented entries only', async () => {
		await recordConsent(social, guardian2);
		expect(await matrixRow(social, 'identity').textContent()).toContain('Öppen');
		expect(await matrixRow(social, 'social').textContent()).toContain('Öppen');
		expect(await matrixRow(social, 'health').textContent()).toContain('Stängd');
		expect(await social.getByTestId('consent').count()).toBe(2);
		await expectNoSeriousA11yViolations(social);

		const response = await police.goto(caseUrl);
		expect(response?.status()).toBe(200);
		expect(await h1(police)).toContain(`${firstName} ${lastName}`);
		// A partner gets no owner-only controls: no consent tabs, no editing, no closing.
		expect(await police.locator('.sub-nav a', { hasText: 'Samtycken' }).count()).toBe(0);
		expect(await police.locator('.sub-nav a', { hasText: 'Utlämnanden' }).count()).toBe(0);
		expect(await police.locator('a', { hasText: 'Avsluta ärendet' }).count()).toBe(0);
		expect(await police.locator('#agencyId').count()).toBe(0);
		await expectNoSeriousA11yViolations(police);

		await police.goto(`${caseUrl}/journal`);
		const entries = (await police.getByTestId('entries').textContent()) ?? '';
		expect(entries).toContain('Samtal med vårdnadshavarna om stödet.');
		expect(entries).not.toContain('Remiss till BUP');
		const withheld = police.locator('[role="status"]').getByTestId('withheld');
		expect(await withheld.textContent()).toContain('1 anteckning i kategorin Hälsa och behandling visas inte: samtycke saknas');
		await expectNoSeriousA11yViolations(police);

		// The police's start page lists the case among those shared with them (through the same gate).
		await police.goto('/');
		await police
			.getByTestId('shared-cases')
			.locator('a', { hasText: `${firstName} ${lastName}` })
			.waitFor();
		await expectNoSeriousA11yViolations(police);

		// The owner's pages stay the owner's.
		expect((await police.goto(`${caseUrl}/consents`))?.status()).toBe(404);
		expect((await police.goto(`${caseUrl}/disclosures`))?.status()).toBe(404);
	});

	it('the disclosure ledger shows what crossed to the police, on which consents', async () => {
		await social.goto(`${caseUrl}/disclosures`);
		expect(await social.title()).toBe('Ärende: utlämnanden – Samverka');
		const ledger = (await social.getByTestId('disclosures').textContent()) ?? '';
		expect(ledger).toContain('Anteckning');
		expect(ledger).toContain(policeName);
		expect(ledger).toContain(`${guardian2} (vårdnadshavare)`);
		await expectNoSeriousA11yViolations(social);
	});

	it('the receipt is printable and its signature verifies; a changed receipt does not', async () => {
		await social.goto(`${caseUrl}/consents`);
		await social.getByTestId('consent').first().locator('a', { hasText: 'Visa kvitto' }).click();
		await social.waitForURL(/\/receipts\/[0-9a-f-]{36}$/);
		expect(await social.title()).toBe('Samtyckeskvitto – Samverka');
		expect(await social.getByTestId('receipt-party').textContent()).toBe(`${guardian2} (vårdnadshavare)`);
		expect(await social.getByTestId('receipt').textContent()).toContain('Uttryckligt samtycke');
		expect(((await social.getByTestId('receipt-kid').textContent()) ?? '').length).toBeGreaterThan(0);
		// Printing leaves out the site's chrome and the buttons.
		await social.emulateMedia({ media: 'print' });
		expect(await social.locator('.site-header').isVisible()).toBe(false);
		expect(await social.locator('button', { hasText: 'Verifiera kvitto' }).isVisible()).toBe(false);
		await social.emulateMedia({ media: 'screen' });
		await expectNoSeriousA11yViolations(social);

		const json = (await social.getByTestId('receipt-json').textContent()) ?? '';
		const signature = (await social.getByTestId('receipt-signature').textContent()) ?? '';
		const kid = (await social.getByTestId('receipt-kid').textContent()) ?? '';
		await social.locator('button', { hasText: 'Verifiera kvitto' }).click();
		await social.waitForURL(/\/receipts\/verify/);
		expect(await social.getByTestId('verify-result').textContent()).toContain('Giltig signatur');
		await expectNoSeriousA11yViolations(social);

		// Pasted by hand, with one word changed: not valid.
		await police.goto('/receipts/verify');
		await police.locator('#receipt').fill(json.replace('Samordnat stöd', 'Obegränsat stöd'));
		await police.locator('#signature').fill(signature);
		await police.locator('#kid').fill(kid);
		await police.getByRole('button', { name: 'Verifiera', exact: true }).click();
		// Either outcome ends the wait, so a rejected form fails on the assertion below, not a timeout.
		await police.getByTestId('verify-result').or(police.locator('.error-summary')).waitFor();
		expect(await police.getByTestId('verify-result').textContent()).toContain('Inte giltig');
		await expectNoSeriousA11yViolations(police);
	});

	it('withdrawing guardian 2’s consent, after a confirmation step, closes the case to the police at once', async () => {
		await social.goto(`${caseUrl}/consents`);
		await social.getByTestId('consent').first().locator('a', { hasText: 'Återkalla' }).click();
		await social.waitForURL(`${baseUrl()}${caseUrl}/consents/**/withdraw`);
		expect(await social.title()).toBe('Ärende: återkalla samtycke – Samverka');
		await social.locator('button', { hasText: 'Fortsätt' }).click();
		await social.waitForFunction(() => document.activeElement?.classList.contains('error-summary'));
		expect(await social.locator('.error-summary').textContent()).toContain('Skriv varför samtycket återkallas');
		await expectNoSeriousA11yViolations(social);

		await social.locator('#reason').fill('Vårdnadshavaren ringde och återkallade samtycket.');
		await social.locator('button', { hasText: 'Fortsätt' }).click();
		await social.locator('h3', { hasText: 'Vill du återkalla samtycket?' }).waitFor();
		expect(await social.getByTestId('confirm-reason').textContent()).toBe('Vårdnadshavaren ringde och återkallade samtycket.');
		await social.locator('button', { hasText: 'Ja, återkalla samtycket' }).click();
		await social.waitForURL(`${baseUrl()}${caseUrl}/consents?saved=withdrawn`);
		await saved(social, 'Samtycket är återkallat');
		const withdrawn = social.getByTestId('consent').first();
		expect(await withdrawn.getByTestId('consent-status').textContent()).toBe('Återkallat');
		expect(await withdrawn.getByTestId('consent-withdrawal').textContent()).toContain('Vårdnadshavaren ringde och återkallade samtycket.');
		expect(await withdrawn.locator('a', { hasText: 'Återkalla' }).count()).toBe(0);
		const identity = (await matrixRow(social, 'identity').textContent()) ?? '';
		expect(identity).toContain('Stängd');
		expect(identity).toContain(`${guardian2} (vårdnadshavare): samtycket är återkallat`);

		const response = await police.goto(`${caseUrl}/journal`);
		expect(response?.status()).toBe(404);
		expect(await h1(police)).toBe(NOT_FOUND);
	});

	it('the start pages: consents ending soon for the social worker; the police no longer see the case listed', async () => {
		await social.goto('/');
		expect(await social.getByTestId('expiring-consents').locator('h2').textContent()).toBe('Samtycken som snart går ut');
		await expectNoSeriousA11yViolations(social);
		await police.goto('/');
		expect(await police.getByTestId('shared-cases').locator('h2').textContent()).toBe('Ärenden som delas med dig');
		// The withdrawn consent closed the case again, so it is not listed.
		expect((await police.getByTestId('shared-cases').textContent()) ?? '').not.toContain(lastName);
	});
});
