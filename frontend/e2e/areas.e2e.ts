import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * The group level in the browser: a field worker of the youth centre and a police officer record
 * observations for Norrby (and the form refuses a personnummer, saying why); the coordinator
 * plans and holds the area's group meeting from an agenda of those observations, turns a decision
 * into a group-level action, and sees the chart and its table. Axe runs on every new page.
 */

let browser: Browser;
const run = String(Math.floor(Math.random() * 100000));

/** Stockholm's date and time an hour ago (`YYYY-MM-DD`, `HH:MM`). */
function anHourAgo(): { date: string; time: string } {
	const parts = new Intl.DateTimeFormat('sv-SE', {
		timeZone: 'Europe/Stockholm',
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		hourCycle: 'h23'
	}).formatToParts(new Date(Date.now() - 3_600_000));
	const get = (type: string) => parts.find((p) => p.type === type)!.value;
	return { date: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}` };
}
const today = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(new Date());
const inTwoWeeks = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(new Date(Date.now() + 14 * 86_400_000));

async function observe(page: Page, o: { category: string; place: string; description: string }): Promise<void> {
	const when = anHourAgo();
	const form = page.getByTestId('observation-form');
	await form.locator('#date').fill(when.date);
	await form.locator('#time').fill(when.time);
	await form.locator('#place').fill(o.place);
	await form.locator('#category').selectOption(o.category);
	await form.locator('#groupSize').fill('12');
	await form.locator('#ageFrom').fill('13');
	await form.locator('#ageTo').fill('16');
	await form.locator('#description').fill(o.description);
	await form.locator('button[type="submit"]').click();
}

beforeAll(async () => {
	browser = await launchBrowser();
});
afterAll(async () => browser?.close());

describe('the group level per area', () => {
	it('a field worker records an observation for Norrby; a personnummer in the text is refused with the reason', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'leisure');
		await page.getByRole('link', { name: 'Områden' }).click();
		await page.waitForURL(/\/areas$/);
		await expect.poll(() => page.getByTestId('my-areas').innerText()).toContain('Norrby');
		await expectNoSeriousA11yViolations(page);
		await page.getByRole('link', { name: 'Norrby' }).click();
		await page.waitForURL(/\/areas\/Norrby$/);
		await expectNoSeriousA11yViolations(page);

		await observe(page, { category: 'gatherings', place: 'Norrby torg', description: `Pojken 20050101-2384 stod vid kiosken ${run}` });
		const summary = page.getByTestId('observation-form').locator('.error-summary');
		await expect.poll(() => summary.innerText()).toMatch(/personnummer eller samordningsnummer/);
		await expect.poll(() => page.locator('#description-error').innerText()).toMatch(/personnummer/);
		await expectNoSeriousA11yViolations(page);

		await page.locator('#description').fill(`Ett tjugotal ungdomar samlades vid kiosken, lugnt ${run}`);
		await page.getByTestId('observation-form').locator('button[type="submit"]').click();
		await expect.poll(() => page.locator('.status-region').first().innerText()).toContain('Observationen är sparad');
		await expect.poll(() => page.getByTestId('observations').innerText()).toContain(`lugnt ${run}`);
		await context.close();
	}, 150_000);

	it('a police officer records one too', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'police');
		await page.goto('/areas/Norrby');
		await observe(page, { category: 'drugs', place: 'Parkeringen vid Norrby centrum', description: `Misstänkt langning från bil ${run}` });
		await expect.poll(() => page.getByTestId('observations').innerText()).toContain(`langning från bil ${run}`);
		await context.close();
	}, 150_000);

	it('the coordinator runs the group meeting, turns a decision into a group action, and sees the chart and table', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'coordinator');
		await page.goto('/areas/Norrby');
		await page.locator('#meetingDate').fill(today);
		await page.locator('#notes').fill('Lägesbild inför helgen');
		await page.getByRole('button', { name: 'Planera mötet' }).click();
		await page.waitForURL(/\/areas\/Norrby\/meetings\/[0-9a-f-]+$/);
		const agenda = page.getByTestId('agenda-observations');
		await expect.poll(() => agenda.innerText()).toContain(`lugnt ${run}`);
		expect(await agenda.innerText()).toContain(`langning från bil ${run}`);
		await expectNoSeriousA11yViolations(page);

		await page.locator('#minutes').fill('Samlingar vid torget fredagskvällar; polisen ser langning vid centrum.');
		await page.locator('#decisions').fill(`Fältassistenter vid torget fredagar 20–23 ${run}`);
		await page.getByRole('button', { name: 'Spara och markera mötet som genomfört' }).click();
		await expect.poll(() => page.getByTestId('meeting-status').innerText()).toBe('Genomfört');

		const form = page.getByTestId('action-form');
		await expect.poll(() => form.locator('input[name="what"]').inputValue()).toContain(`Fältassistenter vid torget fredagar 20–23 ${run}`);
		await form.locator('input[name="place"]').fill('Norrby torg');
		await form.locator('select[name="agencyId"]').selectOption({ label: 'Fritidsgården Norrby' });
		await form.locator('input[name="dueDate"]').fill(inTwoWeeks);
		await form.getByRole('button', { name: 'Lägg till insatsen' }).click();
		await expect.poll(() => page.getByTestId('meeting-actions').innerText()).toContain('Fritidsgården Norrby');
		await expectNoSeriousA11yViolations(page);

		await page.getByRole('link', { name: /Tillbaka till lägesbilden/ }).click();
		await page.waitForURL(/\/areas\/Norrby$/);
		await expect.poll(() => page.getByTestId('open-actions').innerText()).toContain(`fredagar 20–23 ${run}`);
		// The chart draws bars; the table carries the same numbers.
		await expect.poll(() => page.getByTestId('area-chart').locator('svg rect').count()).toBeGreaterThan(0);
		const table = page.getByTestId('area-table');
		await expect.poll(() => table.locator('tbody tr').count()).toBeGreaterThan(0);
		expect(await table.locator('thead').innerText()).toMatch(/Samlingar[\s\S]*Droger|Droger[\s\S]*Samlingar/);
		// The keyboard: focus the chart, step to the last week, hear its numbers.
		await page.getByTestId('area-chart').focus();
		await page.keyboard.press('End');
		await expect
			.poll(() => page.getByTestId('area-chart-selected').innerText())
			.toMatch(/Vecka \d+ .*Samlingar \d+.*Droger \d+|Vecka \d+ .*Droger \d+.*Samlingar \d+/);
		await page.keyboard.press('ArrowLeft');
		await expect.poll(() => page.getByTestId('area-chart-selected').innerText()).toMatch(/Vecka \d+/);
		await expectNoSeriousA11yViolations(page);
		await context.close();
	}, 150_000);
});
