import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, demoPassword, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * A network meeting in the browser: the caseworker plans it, downloads the invitation (which
 * names no one), holds it with a decision that becomes a plan action, and finds it in the calendar;
 * so does the invited partner whose consent covers it.
 */

let browser: Browser;
const suffix = String(Math.floor(Math.random() * 100000));
const lastName = `Mötesson${suffix}`;
let caseId = '';
let caseNumber = '';

/** A valid personnummer (Luhn check digit) of an adult, new to this run. */
function adultPersonnummer(): string {
	const nine = `900202${String(100 + Math.floor(Math.random() * 900))}`;
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
	return ((await res.json()) as { accessToken: string }).accessToken;
}

/** Tomorrow on the Swedish calendar. */
const tomorrow = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(new Date(Date.now() + 86_400_000));

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
	const me = await api<{ agencyId: string }>(social, 'GET', '/api/me');
	const school = await api<{ agencyId: string }>(await token('school'), 'GET', '/api/me');
	const created = await api<{ id: string; caseNumber: string }>(social, 'POST', '/api/cases', {
		type: 'avhoppare',
		area: 'Norrby',
		reason: 'Vill lämna ett kriminellt nätverk.',
		agencyIds: [school.agencyId],
		subject: { personalIdentityNumber: adultPersonnummer(), firstName: 'Adam', lastName }
	});
	caseId = created.id;
	caseNumber = created.caseNumber;
	// The school may see the case and its plan (meetings are `plan` information).
	await api(social, 'POST', `/api/cases/${caseId}/consents`, {
		givenBy: { kind: 'subject' },
		agencyIds: [me.agencyId, school.agencyId],
		categories: ['identity', 'plan'],
		purpose: 'Samordnat stöd',
		validFrom: isoDay(-1),
		validTo: isoDay(300),
		method: 'written',
		evidenceRef: 'dok:2026/0042'
	});
});

afterAll(async () => {
	await browser?.close();
});

describe('a network meeting, planned then held', () => {
	let page: Page;
	let meetingId = '';

	beforeAll(async () => {
		({ page } = await openPage(browser));
		await login(page, 'social');
	});

	afterAll(async () => {
		await page?.context().close();
	});

	it('plans a meeting; an end before the start is explained at the field', async () => {
		await page.goto(`/cases/${caseId}/meetings`);
		await page.locator('#plan-date').fill(tomorrow);
		await page.locator('#plan-start').fill('10:00');
		await page.locator('#plan-end').fill('09:00');
		await page.locator('#plan-place').fill('Socialkontoret, rum 3');
		await page.locator('#plan-agenda').fill('Boende och sysselsättning');
		await page.locator('button', { hasText: 'Planera mötet' }).click();
		await page.locator('#plan-end-error', { hasText: 'Mötet slutar innan det börjar' }).waitFor();
		await page.locator('#plan-end').fill('11:00');
		await page.locator('button', { hasText: 'Planera mötet' }).click();
		await page.locator('[role="status"] .notice', { hasText: 'Mötet är planerat' }).waitFor();
		expect(await page.getByTestId('meeting-status').first().textContent()).toBe('Planerat');
		await expectNoSeriousA11yViolations(page);
	});

	it('downloads the invitation: case number, place and time, and no names', async () => {
		const href = (await page.getByTestId('meeting-invite').first().getAttribute('href')) ?? '';
		meetingId = href.split('/').at(-2) ?? '';
		expect(meetingId).toMatch(/^[0-9a-f-]{36}$/);
		const res = await page.context().request.get(href);
		expect(res.status()).toBe(200);
		expect(res.headers()['content-type']).toMatch(/^text\/calendar/);
		const ics = (await res.text()).replace(/\r\n /g, '');
		expect(ics).toContain(`SUMMARY:Nätverksmöte ${caseNumber}\r\n`);
		expect(ics).toContain('LOCATION:Socialkontoret\\, rum 3\r\n');
		expect(ics).toContain('METHOD:REQUEST');
		for (const text of [lastName, 'Adam', 'Sara Lind', 'Boende och sysselsättning']) expect(ics).not.toContain(text);
	});

	it('holds the meeting; a decision becomes an action in the plan', async () => {
		await page.locator('summary', { hasText: 'Registrera mötet som genomfört' }).first().click();
		await page.locator(`#hold-${meetingId}-minutes`).fill('Adam har fått ett tillfälligt boende.');
		await page.locator(`#hold-${meetingId}-actionText`).fill(`Söka lägenhet ${suffix}`);
		await page.locator(`#hold-${meetingId}-lifeArea`).selectOption({ index: 1 });
		await page.locator(`#hold-${meetingId}-responsibleAgencyId`).selectOption({ index: 1 });
		await page.locator('button', { hasText: 'Spara som genomfört' }).click();
		await page.locator('[role="status"] .notice', { hasText: 'Mötet är registrerat som genomfört' }).waitFor();
		expect(await page.getByTestId('meeting-status').first().textContent()).toBe('Genomfört');
		expect(await page.getByTestId('meeting').first().textContent()).toContain(`Söka lägenhet ${suffix}`);
		await page.goto(`/cases/${caseId}/plan`);
		expect(await page.locator('main').textContent()).toContain(`Söka lägenhet ${suffix}`);
	});

	it('shows the meeting in the week calendar, by case number, and the month view too', async () => {
		await page.goto(`/meetings?view=week&date=${tomorrow}`);
		const calendar = page.getByTestId('calendar');
		expect(await calendar.textContent()).toContain(`Ärende ${caseNumber}`);
		expect(await calendar.textContent()).not.toContain(lastName);
		await expectNoSeriousA11yViolations(page);
		await page.locator('a', { hasText: 'Månad' }).click();
		await page.waitForURL(/view=month/);
		expect(await page.getByTestId('calendar').textContent()).toContain(`Ärende ${caseNumber}`);
		await expectNoSeriousA11yViolations(page);
	});

	it('shows the meeting in the calendar of a partner that is invited and covered by the consent', async () => {
		const { context, page: partner } = await openPage(browser);
		await login(partner, 'school');
		await partner.locator('nav a', { hasText: 'Möten' }).click();
		await partner.waitForURL(/\/meetings/);
		await partner.goto(`/meetings?view=week&date=${tomorrow}`);
		const text = (await partner.getByTestId('calendar').textContent()) ?? '';
		expect(text).toContain(`Ärende ${caseNumber}`);
		expect(text).not.toContain(lastName);
		await context.close();
	});
});
