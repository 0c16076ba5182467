import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, demoUser, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

let browser: Browser;

beforeAll(async () => {
	browser = await launchBrowser();
});

afterAll(async () => {
	await browser?.close();
});

/** A valid personnummer (Luhn check digit) for someone who turned 16 about 100 days ago. */
function personnummerAged16(): string {
	const born = new Date();
	born.setUTCFullYear(born.getUTCFullYear() - 16);
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

const pin = personnummerAged16();
const firstName = 'Elin';
const lastName = `Testsson${Math.floor(Math.random() * 10000)}`;
let caseUrl = '';

const h1 = (page: Page) => page.locator('h1').first().textContent();

/** Waits for a status message (role=status) that says `text`. */
async function saved(page: Page, text: string): Promise<void> {
	await page.locator('[role="status"] .notice', { hasText: text }).waitFor();
}

describe('a social worker works a case from opening to closing', () => {
	let page: Page;
	let schoolName: string;

	beforeAll(async () => {
		schoolName = (await demoUser('school')).agencyName;
		({ page } = await openPage(browser));
		await login(page, 'social');
	});

	afterAll(async () => {
		await page?.context().close();
	});

	it('shows the case list, reachable from the main menu', async () => {
		await page.locator('nav a', { hasText: 'Ärenden' }).click();
		await page.waitForURL(`${baseUrl()}/cases`);
		expect(await page.title()).toBe('Ärenden – Samverka');
		expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Ärenden');
		await expectNoSeriousA11yViolations(page);
	});

	it('reports missing fields on the new case form, with focus on the summary', async () => {
		await page.locator('a', { hasText: 'Öppna nytt ärende' }).first().click();
		await page.waitForURL(`${baseUrl()}/cases/new`);
		expect(await page.title()).toBe('Öppna nytt ärende – Samverka');
		expect(await page.locator('fieldset.guardian').count()).toBe(2);
		expect(await page.locator('#pin-hint').textContent()).toContain('ÅÅÅÅMMDD-NNNN');
		await expectNoSeriousA11yViolations(page);

		await page.locator('#pin').fill('20100314-1235');
		await page.locator('form button.button', { hasText: 'Öppna ärendet' }).click();
		await page.waitForFunction(() => document.activeElement?.classList.contains('error-summary'));
		const summary = (await page.locator('.error-summary').textContent()) ?? '';
		expect(summary).toContain('Personnumret är inte giltigt');
		expect(summary).toContain('Fyll i förnamn');
		expect(await page.locator('#pin').getAttribute('aria-invalid')).toBe('true');
		expect(await page.locator('#pin').getAttribute('aria-describedby')).toBe('pin-hint pin-error');
		expect(await page.locator('#pin').inputValue()).toBe('20100314-1235');
		await expectNoSeriousA11yViolations(page);
	});

	it('opens a case for a 16-year-old with a guardian', async () => {
		await page.locator('#pin').fill(pin);
		await page.locator('#firstName').fill(firstName);
		await page.locator('#lastName').fill(lastName);
		await page.locator('#g0-firstName').fill('Anna');
		await page.locator('#g0-lastName').fill(lastName);
		await page.locator('#type-sspf').check();
		await page.locator('#area').selectOption('Norrby');
		await page.locator('#reason').fill('Oro från skolan om frånvaro och nya kontakter.');
		await page.locator('form button.button', { hasText: 'Öppna ärendet' }).click();
		await page.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
		caseUrl = new URL(page.url()).pathname;

		expect(await page.title()).toBe('Ärende: översikt – Samverka');
		expect(await h1(page)).toContain(`${firstName} ${lastName}`);
		expect(await page.getByTestId('case-status').textContent()).toBe('Öppnat');
		expect(await page.locator('main').textContent()).toContain(`Anna ${lastName}`);
		expect(await page.locator('.sub-nav a[aria-current="page"]').textContent()).toBe('Översikt');
		await expectNoSeriousA11yViolations(page);
	});

	it('adds the school as a participant', async () => {
		const value = await page.locator('#agencyId option', { hasText: schoolName }).getAttribute('value');
		await page.locator('#agencyId').selectOption(value!);
		await page.locator('button', { hasText: /^Lägg till$/ }).click();
		await saved(page, 'Aktören är tillagd');
		expect(await page.getByTestId('participants').textContent()).toContain(schoolName);
	});

	it('adds a plan item for the school and follows it up', async () => {
		await page.locator('.sub-nav a', { hasText: 'Åtagandeplan' }).click();
		await page.waitForURL(`${baseUrl()}${caseUrl}/plan`);
		expect(await page.title()).toBe('Ärende: åtagandeplan – Samverka');
		await expectNoSeriousA11yViolations(page);

		await page.locator('#lifeArea').selectOption('school');
		await page.locator('#goal').fill('Närvaro över 90 procent');
		await page.locator('#action').fill('Mentor följer upp närvaron varje vecka');
		const school = await page.locator('#responsibleAgencyId option', { hasText: schoolName }).getAttribute('value');
		await page.locator('#responsibleAgencyId').selectOption(school!);
		await page.locator('#dueDate').fill('2027-06-15');
		await page.locator('button', { hasText: 'Lägg till insatsen' }).click();
		await saved(page, 'Insatsen är tillagd');
		const item = page.getByTestId('plan-item').first();
		expect(await item.textContent()).toContain('Närvaro över 90 procent');
		expect(await item.textContent()).toContain(schoolName);

		await item.locator('summary').click();
		await item.locator('select[name="status"]').selectOption('in_progress');
		await item.locator('textarea[name="followUp"]').fill('Första veckan: full närvaro.');
		await item.locator('button', { hasText: 'Spara ändringarna' }).click();
		await saved(page, 'Insatsen är uppdaterad');
		expect(await page.getByTestId('plan-item-status').first().textContent()).toBe('Pågår');
		expect(await page.getByTestId('plan-item').first().textContent()).toContain('Första veckan: full närvaro.');
		await expectNoSeriousA11yViolations(page);
	});

	it('writes a journal entry with the keyboard alone', async () => {
		await page.goto(`${caseUrl}/journal`);
		expect(await page.title()).toBe('Ärende: anteckningar – Samverka');
		await expectNoSeriousA11yViolations(page);

		const focusedId = () => page.evaluate(() => document.activeElement?.id ?? '');
		for (let i = 0; i < 40 && (await focusedId()) !== 'category'; i++) await page.keyboard.press('Tab');
		expect(await focusedId()).toBe('category');
		await page.keyboard.press('ArrowDown');
		expect(await page.locator('#category').inputValue()).not.toBe('');
		await page.keyboard.press('Tab');
		expect(await focusedId()).toBe('text');
		await page.keyboard.type('Samtal med den unge och mamma. Den unge vill byta skola.');
		await page.keyboard.press('Tab');
		expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Spara anteckningen');
		await page.keyboard.press('Enter');
		await saved(page, 'Anteckningen är sparad');
		expect(await page.getByTestId('entry').first().textContent()).toContain('Den unge vill byta skola.');
	});

	it('corrects the entry with a new entry that refers to it', async () => {
		await page.getByTestId('entry').first().locator('a', { hasText: 'Rätta' }).click();
		await page.locator('h3', { hasText: 'Rätta en anteckning' }).waitFor();
		expect(await page.locator('#text').inputValue()).toContain('Den unge vill byta skola.');
		await page.locator('#text').fill('Samtal med den unge och mamma. Den unge vill byta klass, inte skola.');
		await page.locator('button', { hasText: 'Spara rättelsen' }).click();
		await saved(page, 'Rättelsen är sparad');

		const entries = page.getByTestId('entry');
		expect(await entries.count()).toBe(2);
		// Newest first: the correction, which links to the entry it corrects; the original stays.
		expect(await entries.nth(0).textContent()).toContain('byta klass, inte skola');
		const ref = entries.nth(0).getByTestId('entry-corrects').locator('a');
		expect(await ref.textContent()).toContain('Rättelse av anteckningen från');
		const target = (await ref.getAttribute('href'))!.slice(1);
		expect(await entries.nth(1).getAttribute('id')).toBe(target);
		expect(await entries.nth(1).textContent()).toContain('Den unge vill byta skola.');
		expect(await entries.nth(1).getByTestId('entry-corrected-by').textContent()).toContain('Rättad');
		await expectNoSeriousA11yViolations(page);
	});

	it('records a network meeting', async () => {
		await page.locator('.sub-nav a', { hasText: 'Nätverksmöten' }).click();
		await page.waitForURL(`${baseUrl()}${caseUrl}/meetings`);
		expect(await page.title()).toBe('Ärende: nätverksmöten – Samverka');
		await expectNoSeriousA11yViolations(page);

		expect(await page.locator('form[action="?/addMeeting"] input[name="agencyIds"]:checked').count()).toBe(2);
		await page.locator('#people').fill('den unge\nmamma');
		await page.locator('#agenda').fill('Närvaro och fritid');
		await page.locator('#minutes').fill('Genomgång av planen.');
		await page.locator('#decisions').fill('Mentor kontaktar fritidsgården');
		await page.locator('button', { hasText: 'Spara mötet' }).click();
		await saved(page, 'Mötet är sparat');
		const meeting = (await page.getByTestId('meeting').first().textContent()) ?? '';
		expect(meeting).toContain('Närvaro och fritid');
		expect(meeting).toContain('Mentor kontaktar fritidsgården');
		expect(meeting).toContain(schoolName);
	});

	it('closes the case with an outcome after a confirmation step', async () => {
		await page.goto(caseUrl);
		await page.locator('a', { hasText: 'Avsluta ärendet' }).click();
		await page.waitForURL(`${baseUrl()}${caseUrl}/close`);
		expect(await page.title()).toBe('Ärende: avsluta – Samverka');
		await expectNoSeriousA11yViolations(page);

		await page.locator('button', { hasText: 'Fortsätt' }).click();
		await page.waitForFunction(() => document.activeElement?.classList.contains('error-summary'));
		expect(await page.locator('.error-summary').textContent()).toContain('Beskriv utfallet');

		await page.locator('#outcome').fill('Målen i planen är uppnådda.');
		await page.locator('button', { hasText: 'Fortsätt' }).click();
		await page.locator('h3', { hasText: 'Vill du avsluta ärendet?' }).waitFor();
		expect(await page.getByTestId('confirm-outcome').textContent()).toBe('Målen i planen är uppnådda.');
		expect(await page.getByTestId('case-status').textContent()).toBe('Öppnat');
		await expectNoSeriousA11yViolations(page);

		await page.locator('button', { hasText: 'Ja, avsluta ärendet' }).click();
		await page.waitForURL(`${baseUrl()}${caseUrl}`);
		await page.getByTestId('closed-notice').waitFor();
		expect(await page.getByTestId('case-status').textContent()).toBe('Avslutat');
		expect(await page.getByTestId('case-outcome').textContent()).toBe('Målen i planen är uppnådda.');
		// Read-only: no forms to change the case, on any of its pages.
		expect(await page.locator('#agencyId').count()).toBe(0);
		await page.goto(`${caseUrl}/journal`);
		expect(await page.locator('#text').count()).toBe(0);
		await expectNoSeriousA11yViolations(page);
	});

	it('reopens the case, with a reason', async () => {
		await page.locator('button', { hasText: 'Öppna ärendet igen' }).click();
		await page.waitForFunction(() => document.activeElement?.classList.contains('error-summary'));
		expect(await page.locator('.error-summary').textContent()).toContain('Skriv varför ärendet öppnas igen');
		await page.locator('#reopenReason').fill('Ny oro från skolan.');
		await page.locator('button', { hasText: 'Öppna ärendet igen' }).click();
		await saved(page, 'Ärendet är öppnat igen');
		expect(await page.getByTestId('case-status').textContent()).toBe('Pågående');
		expect(await page.getByTestId('closed-notice').count()).toBe(0);
		expect(await page.locator('#text').count()).toBe(1);
	});

	it('finds the case by personnummer without putting it in the URL', async () => {
		await page.goto('/cases');
		await page.locator('#q').fill(pin);
		await page.locator('#case-search button', { hasText: 'Sök' }).click();
		await page.locator('[role="status"]', { hasText: 'Sökningen gav 1 träff' }).waitFor();
		const table = (await page.getByTestId('case-table').textContent()) ?? '';
		expect(table).toContain(`${firstName} ${lastName}`);
		const url = decodeURIComponent(page.url());
		expect(url).not.toContain(pin);
		expect(url).not.toContain(pin.replace('-', ''));
		expect(url).not.toContain(lastName);
		expect(await page.locator('#q').inputValue()).toBe(pin);

		await page.locator('#q').fill(lastName);
		await page.locator('#case-search button', { hasText: 'Sök' }).click();
		await page.locator('[role="status"]', { hasText: 'Sökningen gav 1 träff' }).waitFor();
		expect(decodeURIComponent(page.url())).not.toContain(lastName);
		await expectNoSeriousA11yViolations(page);
	});
});

describe('without JavaScript', () => {
	it('searches by POST and adds guardian rows on the server', async () => {
		const { context, page } = await openPage(browser, { javaScriptEnabled: false });
		await login(page, 'social');
		await page.goto('/cases');
		await page.locator('#q').fill(pin);
		await page.locator('#case-search button', { hasText: 'Sök' }).click();
		await page.getByTestId('case-table').waitFor();
		expect(await page.getByTestId('case-table').textContent()).toContain(lastName);
		expect(decodeURIComponent(page.url())).not.toContain(pin);

		await page.goto('/cases/new');
		await page.locator('#firstName').fill(firstName);
		expect(await page.locator('fieldset.guardian').count()).toBe(2);
		await page.locator('button', { hasText: 'Lägg till en vårdnadshavare' }).click();
		await page.locator('#g2-firstName').waitFor();
		expect(await page.locator('fieldset.guardian').count()).toBe(3);
		expect(await page.locator('#firstName').inputValue()).toBe(firstName);
		await page.locator('button', { hasText: 'Ta bort vårdnadshavare 1' }).click();
		await page.locator('#g2-firstName').waitFor({ state: 'detached' });
		expect(await page.locator('fieldset.guardian').count()).toBe(2);
		await context.close();
	});
});

describe('another agency without consent', () => {
	it('sees "not found or no access" for the case, exactly as for a case that does not exist', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'school');
		const response = await page.goto(caseUrl);
		expect(response?.status()).toBe(404);
		expect(await h1(page)).toBe('Ärendet finns inte eller så har du inte behörighet');
		const text = (await page.locator('main').textContent()) ?? '';
		expect(text).not.toContain(lastName);
		await expectNoSeriousA11yViolations(page);

		const missing = await page.goto('/cases/00000000-0000-4000-8000-000000000000/journal');
		expect(missing?.status()).toBe(404);
		expect(await h1(page)).toBe('Ärendet finns inte eller så har du inte behörighet');
		await context.close();
	});
});

describe('the coordinator', () => {
	it('sees group-level figures without identities', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'coordinator');
		await page.locator('a', { hasText: 'Visa ärenden på gruppnivå' }).click();
		await page.waitForURL(`${baseUrl()}/cases/groups`);
		const table = (await page.getByTestId('group-table').textContent()) ?? '';
		expect(table).toContain('Norrby');
		expect(table).not.toContain(lastName);
		await expectNoSeriousA11yViolations(page);
		await context.close();
	});
});
