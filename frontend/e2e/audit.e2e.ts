import fs from 'node:fs/promises';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiUrl, baseUrl, demoPassword, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * The auditor's workspace against the real backend, whose sequencer numbers and signs the log
 * (AUDIT_SEQUENCER=true in the harness). A social worker opens a case through the API; the
 * auditor finds those accesses, takes out the person's log extract, and sees a change made
 * behind the API's back in the database reported as a broken log.
 */

let browser: Browser;

const SUBJECT = { firstName: 'Testa', lastName: 'Loggsson' };
let personnummer = '';
let subjectId = '';
let caseId = '';

/** A valid personnummer (Luhn over the 10-digit form) for a 15-year-old, random birth number. */
function makePersonnummer(): string {
	const birthNumber = String(100 + Math.floor(Math.random() * 899)).padStart(3, '0');
	const tenDigits = `110517${birthNumber}`;
	let sum = 0;
	for (let i = 0; i < 9; i++) {
		let d = Number(tenDigits[i]) * (i % 2 === 0 ? 2 : 1);
		if (d > 9) d -= 9;
		sum += d;
	}
	return `20${tenDigits.slice(0, 6)}-${tenDigits.slice(6)}${(10 - (sum % 10)) % 10}`;
}

async function apiToken(username: string): Promise<string> {
	const response = await fetch(`${apiUrl()}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ username, password: demoPassword() })
	});
	if (!response.ok) throw new Error(`login ${username}: ${response.status}`);
	return ((await response.json()) as { accessToken: string }).accessToken;
}

/** Reloads politely until `check` holds (the sequencer and checkpoints run every few seconds). */
async function reloadUntil(page: Page, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs / 1000} s on ${page.url()}`);
		await new Promise((r) => setTimeout(r, 1_500));
		await page.reload();
	}
}

beforeAll(async () => {
	browser = await launchBrowser();

	// Some activity about one person: the social worker opens a case and reads it.
	const token = await apiToken('social');
	const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
	personnummer = makePersonnummer();
	const created = await fetch(`${apiUrl()}/api/cases`, {
		method: 'POST',
		headers,
		body: JSON.stringify({
			type: 'sspf',
			area: 'Norrby',
			reason: 'Oro från skolan.',
			subject: { personalIdentityNumber: personnummer, ...SUBJECT }
		})
	});
	if (created.status !== 201) throw new Error(`creating the case: ${created.status} ${await created.text()}`);
	const body = (await created.json()) as { id: string; subject: { id: string } };
	caseId = body.id;
	subjectId = body.subject.id;
	const read = await fetch(`${apiUrl()}/api/cases/${caseId}`, { headers: { authorization: `Bearer ${token}` } });
	if (!read.ok) throw new Error(`reading the case: ${read.status}`);
});

afterAll(async () => {
	await browser?.close();
});

describe('the access log', () => {
	it('is not there for anyone but the auditor', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'school');
		expect(await page.locator('nav a[href="/audit"]').count()).toBe(0);
		const response = await page.goto('/audit');
		expect(response?.status()).toBe(404);
		expect(await page.locator('h1').textContent()).toBe('Sidan finns inte');
		for (const view of ['/audit/integrity', '/audit/search', '/audit/timeline', '/audit/anomalies', '/audit/subjects']) {
			expect((await page.goto(view))?.status(), view).toBe(404);
		}
		const csv = await page.goto(`/audit/export.csv?subjectId=${subjectId}`);
		expect(csv?.status()).toBe(404);
		await context.close();
	});

	it('lets the auditor find the accesses to one person, and shows that the log is intact', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'auditor');
		await page.locator('nav a[href="/audit"]').click();
		await page.waitForURL(`${baseUrl()}/audit`);
		expect(await page.title()).toBe('Åtkomstlogg – Samverka');
		expect(await page.locator('nav.main-nav a[aria-current="page"]').textContent()).toBe('Åtkomstlogg');
		// The overview leads to each tool on a view of its own.
		const tools = page.getByTestId('audit-tools');
		expect(await tools.locator('a[aria-current="page"]').textContent()).toBe('Översikt');
		for (const href of ['/audit/integrity', '/audit/search', '/audit/timeline', '/audit/anomalies', '/audit/subjects'])
			expect(await page.getByTestId('audit-overview').locator(`a[href="${href}"]`).count()).toBe(1);
		await expectNoSeriousA11yViolations(page);

		await page.getByTestId('audit-overview').locator('a[href="/audit/integrity"]').click();
		await page.waitForURL(`${baseUrl()}/audit/integrity`);
		expect(await page.title()).toBe('Loggens integritet – Samverka');
		expect(await tools.locator('a[aria-current="page"]').textContent()).toBe('Loggens integritet');
		const integrity = page.getByTestId('integrity-status');
		expect(await integrity.getAttribute('data-state')).toBe('ok');
		expect(await integrity.textContent()).toContain('Loggen är intakt');
		await expectNoSeriousA11yViolations(page);

		await tools.locator('a[href="/audit/search"]').click();
		await page.waitForURL(`${baseUrl()}/audit/search`);
		expect(await page.title()).toBe('Sök i loggen – Samverka');
		await expectNoSeriousA11yViolations(page);
		await page.locator('#filter-subjectId').fill(subjectId);
		await page.locator('form[data-testid="audit-filter"] button[type="submit"]').click();
		await page.waitForURL((url) => url.searchParams.get('subjectId') === subjectId);
		// Only ids travel in the URL, never the person's name or personnummer.
		expect(page.url()).not.toContain(personnummer.slice(0, 8));

		const table = page.getByTestId('events-table');
		await table.waitFor();
		const text = (await table.textContent()) ?? '';
		expect(text).toContain('case.create');
		expect(text).toContain('case.read');
		expect(text).toContain('Sara Lind');
		expect(await table.locator('caption').textContent()).toBe('Loggposter som matchar filtret, nyast först');
		const main = (await page.locator('main').textContent()) ?? '';
		expect(main).not.toContain(SUBJECT.lastName);
		expect(main).not.toContain(personnummer);
		expect(await page.locator('#filter-subjectId').inputValue()).toBe(subjectId);
		await expectNoSeriousA11yViolations(page);

		const csvHref = await page.getByTestId('export-csv').getAttribute('href');
		expect(csvHref).toBe(`/audit/export.csv?subjectId=${subjectId}`);
		expect(new URL(page.url()).pathname).toBe('/audit/search');
		await context.close();
	});

	it('keeps the old search links working: /audit with a filter opens the search view', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'auditor');
		await page.goto(`/audit?subjectId=${subjectId}`);
		expect(new URL(page.url()).pathname).toBe('/audit/search');
		expect(new URL(page.url()).searchParams.get('subjectId')).toBe(subjectId);
		expect(await page.getByTestId('events-table').textContent()).toContain('case.read');
		await context.close();
	});

	it('says what is wrong with a malformed filter, without searching', async () => {
		const { context, page } = await openPage(browser, { javaScriptEnabled: false });
		await login(page, 'auditor');
		await page.goto('/audit?subjectId=19900101-1234');
		const summary = page.locator('.error-summary');
		expect(await summary.textContent()).toContain('Ange ett id');
		expect(await page.locator('#filter-subjectId').getAttribute('aria-invalid')).toBe('true');
		expect(await page.getByTestId('events-table').count()).toBe(0);
		await context.close();
	});

	it("gives the person's log extract with proofs, printable and as CSV without names", async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'auditor');
		await page.goto(`/audit/search?subjectId=${subjectId}`);
		await page.locator(`a[href="/audit/subjects/${subjectId}"]`).first().click();
		await page.waitForURL(`${baseUrl()}/audit/subjects/${subjectId}`);
		expect(await page.title()).toBe('Loggutdrag – Samverka');
		expect(await page.locator('h1').textContent()).toBe('Loggutdrag');
		expect(await page.getByTestId('extract-subject').textContent()).toBe(subjectId);

		// Checkpoints are signed every few seconds: wait until every event is covered by one.
		const proof = page.getByTestId('proof-status');
		await reloadUntil(page, async () => (await proof.getAttribute('data-state')) === 'ok');

		// Grouped per day × agency × action; the caseworker's own reads of the case in a line of their own.
		const own = page.locator('[data-testid="extract-group"][data-own="true"]');
		expect(await own.count()).toBeGreaterThanOrEqual(1);
		expect(await own.first().locator('summary').textContent()).toContain('Sara Lind, ärendets handläggare');
		const group = page.locator('[data-testid="extract-group"][data-own="false"]').first();
		expect(await group.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
		await group.locator('summary').focus();
		await page.keyboard.press('Enter');
		expect(await group.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
		expect(await group.locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
		expect(await group.locator('tbody').textContent()).toContain('Bevisad');
		await expectNoSeriousA11yViolations(page);
		await page.getByTestId('own-toggle').click();
		await page.waitForURL((url) => url.searchParams.get('own') === 'hide');
		expect(await page.locator('[data-testid="extract-group"][data-own="true"]').count()).toBe(0);

		// Every event with its proof, in the rows view.
		await page.getByTestId('extract-rows-view').click();
		await page.waitForURL((url) => url.searchParams.get('view') === 'rows');
		// Looking at the extract is logged about the person too: wait for those events' checkpoint.
		await reloadUntil(page, async () => (await proof.getAttribute('data-state')) === 'ok');
		expect(await proof.textContent()).toContain('ingår i en signerad kontrollpunkt');
		expect(await page.getByTestId('checkpoint').textContent()).toContain('Giltig');
		const rows = page.getByTestId('extract-table').locator('tbody tr');
		expect(await rows.count()).toBeGreaterThanOrEqual(3);
		const extract = (await page.getByTestId('extract-table').textContent()) ?? '';
		expect(extract).toContain('Sara Lind');
		expect(extract).toContain('Bevisad');
		expect(extract).not.toContain('Stämmer inte');
		expect(await page.locator('main').textContent()).not.toContain(SUBJECT.lastName);
		await expectNoSeriousA11yViolations(page);

		// Printing hides the site's header and navigation but keeps the extract's heading and date.
		await page.emulateMedia({ media: 'print' });
		expect(await page.locator('.site-header').isVisible()).toBe(false);
		expect(await page.locator('h1').isVisible()).toBe(true);
		expect(await page.getByTestId('extract-generated').isVisible()).toBe(true);
		await page.emulateMedia({ media: 'screen' });

		const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('extract-csv').click()]);
		expect(download.suggestedFilename()).toMatch(new RegExp(`^samverka-loggutdrag-${subjectId}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
		const csv = (await fs.readFile(await download.path())).toString('utf8').replace(/^\uFEFF/, '');
		const [header, ...lines] = csv.trim().split(/\r\n/);
		expect(header).toContain('"seq","occurred_at","actor_id","actor_name"');
		expect(header).toContain('"subject_id"');
		// The extract for handing out: no client addresses, a proof status per event.
		expect(header).toContain('"proof"');
		expect(header).not.toContain('client_ip');
		expect(lines.every((l) => l.endsWith('"proven"') || l.endsWith('"pending"'))).toBe(true);
		expect(lines.some((l) => l.includes('"case.create"') && l.includes(caseId))).toBe(true);
		expect(lines.some((l) => l.includes('"case.read"'))).toBe(true);
		expect(lines.every((l) => l.includes(subjectId))).toBe(true);
		expect(csv).not.toContain(SUBJECT.firstName);
		expect(csv).not.toContain(SUBJECT.lastName);
		expect(csv).not.toContain(personnummer.replace('-', ''));
		expect(csv).not.toContain(personnummer);
		await context.close();
	});

	it("finds a person's extract from the personnummer, which never appears in a URL or the page", async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'auditor');
		await page.goto('/audit/subjects');
		expect(await page.title()).toBe('Loggutdrag – Samverka');
		await expectNoSeriousA11yViolations(page);
		const form = page.getByTestId('audit-lookup');

		await page.locator('#lookup-pin').fill('19900101-1234');
		await form.locator('button[type="submit"]').click();
		await page.locator('#lookup-error').waitFor();
		expect(await page.locator('#lookup-pin').getAttribute('aria-invalid')).toBe('true');
		expect(await page.locator('#lookup-pin').inputValue()).toBe('');
		expect(await page.locator('main').textContent()).not.toContain('19900101');
		await expectNoSeriousA11yViolations(page);

		await page.locator('#lookup-pin').fill(personnummer);
		await form.locator('button[type="submit"]').click();
		await page.waitForURL(`${baseUrl()}/audit/subjects/${subjectId}`);
		expect(page.url()).not.toContain(personnummer.slice(0, 8));
		expect(await page.getByTestId('extract-subject').textContent()).toBe(subjectId);
		expect(await page.locator('main').textContent()).not.toContain(personnummer);
		expect(await page.locator('main').textContent()).not.toContain(SUBJECT.lastName);
		await context.close();
	});

	it('shows errors as a third, dotted series in the timeline', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'auditor');
		await page.goto('/audit/timeline');
		expect(await page.title()).toBe('Tidslinje – Samverka');
		expect(await page.locator('svg[role="img"][aria-label]').count()).toBe(1);
		expect(await page.locator('details table caption').count()).toBe(1);
		const legend = (await page.locator('.audit-legend').textContent()) ?? '';
		expect(legend).toContain('Tillåtna');
		expect(legend).toContain('Fel (prickig stapel)');
		expect(await page.locator('[data-testid="timeline-table"] thead th').count()).toBe(5);
		await expectNoSeriousA11yViolations(page);
		await context.close();
	});

	it('lists anomalies on a view of their own, over a period the auditor chooses', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'auditor');
		await page.goto('/audit/anomalies');
		expect(await page.title()).toBe('Avvikelser – Samverka');
		expect(await page.locator('h1').textContent()).toBe('Avvikelser');
		await expectNoSeriousA11yViolations(page);
		await page.goto('/audit/anomalies?from=2026-13-45');
		expect(await page.getByTestId('period-form').locator('[role="alert"]').textContent()).toContain('ÅÅÅÅ-MM-DD');
		await context.close();
	});

	it('reports a change made directly in the database, naming the first altered entry', async () => {
		const client = new pg.Client({ connectionString: inject('DATABASE_URL') });
		await client.connect();
		try {
			await client.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
			await client.query("UPDATE audit_log SET action = 'x' WHERE seq = 2");
			await client.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
		} finally {
			await client.end();
		}

		const { context, page } = await openPage(browser);
		await login(page, 'auditor');
		await page.goto('/audit/integrity');
		const integrity = page.getByTestId('integrity-status');
		expect(await integrity.getAttribute('data-state')).toBe('broken');
		expect(await integrity.textContent()).toContain('Loggen har ändrats från post 2');
		expect(await integrity.getAttribute('role')).toBe('alert');
		await expectNoSeriousA11yViolations(page);
		await context.close();
	});
});
