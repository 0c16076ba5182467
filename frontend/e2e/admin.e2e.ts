import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl, demoPassword, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * The admin workspace end to end: an admin creates a user, edits them and asks for the auditor
 * role, which holds only once a second admin approves it (four eyes); deactivates and reactivates
 * the user; moves them to another agency, which also waits for a second admin; ends another
 * user's sessions (their next request is refused); creates an agency and sets its areas and
 * identity provider. Every admin page passes the accessibility check.
 */

let browser: Browser;
let admin: Page;
let admin2: Page;
const username = `e2e.kurator.${Date.now().toString(36)}`;
const agencyName = `E2E-skolan ${Date.now().toString(36)}`;
let userUrl = '';

async function apiLogin(user: string): Promise<string> {
	const res = await fetch(`${apiUrl()}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ username: user, password: demoPassword() })
	});
	return ((await res.json()) as { accessToken: string }).accessToken;
}

const savedNotice = (page: Page) => page.locator('[role="status"] .notice');

beforeAll(async () => {
	browser = await launchBrowser();
	admin = (await openPage(browser)).page;
	admin2 = (await openPage(browser)).page;
	await login(admin, 'admin');
	await login(admin2, 'admin2');
});

afterAll(async () => {
	await browser?.close();
});

describe('admin workspace', () => {
	it('the menu leads admins to the workspace; users can be searched', async () => {
		await admin.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Administration' }).click();
		await admin.waitForURL(/\/admin\/users$/);
		await expectNoSeriousA11yViolations(admin);
		await admin.locator('#q').fill('Maria');
		await admin.getByRole('button', { name: 'Sök', exact: true }).click();
		await admin.waitForURL(/q=Maria/);
		await expect.poll(() => admin.locator('[data-testid="user-table"] tbody tr').count()).toBe(1);
		expect(await admin.locator('[data-testid="user-table"]').textContent()).toContain('police');
	});

	it('creates a user and shows the one-time password once', async () => {
		await admin.goto('/admin/users/new');
		await expectNoSeriousA11yViolations(admin);
		// Submitting nothing names every missing field.
		await admin.getByRole('button', { name: 'Skapa användare' }).click();
		await expect.poll(() => admin.locator('.error-summary li').count()).toBeGreaterThanOrEqual(3);
		await expectNoSeriousA11yViolations(admin);
		await admin.locator('#username').fill(username);
		await admin.locator('#displayName').fill('Kim Kurator');
		await admin.locator('#agencyId').selectOption({ label: 'Engelbrektskolan' });
		await admin.locator('#roles-partner').check();
		await admin.getByRole('button', { name: 'Skapa användare' }).click();
		const created = admin.locator('[data-testid="user-created"]');
		await created.waitFor();
		expect((await admin.locator('[data-testid="initial-password"]').textContent())?.length).toBeGreaterThanOrEqual(12);
		await expectNoSeriousA11yViolations(admin);
		await admin.locator('[data-testid="created-user-link"]').click();
		await admin.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/);
		userUrl = admin.url();
	});

	it('edits the user and asks for the auditor role, which waits for a second admin', async () => {
		await expectNoSeriousA11yViolations(admin);
		await admin.locator('#displayName').fill('Kim Kurator Ek');
		await admin.locator('#email').fill('kim.kurator@example.org');
		await admin.locator('#roles-auditor').check();
		await admin.getByRole('button', { name: 'Spara ändringarna' }).click();
		await expect.poll(() => savedNotice(admin).textContent()).toContain('annan systemförvaltare');
		expect(await admin.locator('h1').textContent()).toBe('Kim Kurator Ek');
		expect(await admin.locator('[data-testid="user-roles-now"]').textContent()).toBe('Samverkanspart');
		expect(await admin.locator('[data-testid="user-pending"]').textContent()).toContain('Granskare');
		await expectNoSeriousA11yViolations(admin);

		// The admin who asked cannot approve it themselves.
		await admin.goto('/admin/role-requests');
		const own = admin.locator('[data-testid="role-request"]', { hasText: 'Kim Kurator Ek' });
		expect(await own.locator('[data-testid="approve"]').count()).toBe(0);
		expect(await own.textContent()).toContain('En annan systemförvaltare');
	});

	it('a second admin approves: the role then holds', async () => {
		await admin2.goto('/admin/role-requests');
		await expectNoSeriousA11yViolations(admin2);
		const request = admin2.locator('[data-testid="role-request"]', { hasText: 'Kim Kurator Ek' });
		await request.locator('[data-testid="approve"]').click();
		await expect.poll(() => savedNotice(admin2).textContent()).toContain('godkända');
		await expectNoSeriousA11yViolations(admin2);
		await admin.goto(userUrl);
		expect(await admin.locator('[data-testid="user-roles-now"]').textContent()).toBe('Samverkanspart, Granskare');
		expect(await admin.locator('[data-testid="user-pending"]').count()).toBe(0);
	});

	it('deactivates and reactivates the user', async () => {
		await admin.locator('[data-testid="deactivate"]').click();
		await expect.poll(() => admin.locator('[data-testid="user-status"]').textContent()).toBe('Inaktiverad');
		await expectNoSeriousA11yViolations(admin);
		await admin.locator('[data-testid="reactivate"]').click();
		await expect.poll(() => admin.locator('[data-testid="user-status"]').textContent()).toBe('Aktiv');
	});

	it('a move to another agency waits for a second admin; approved, it holds', async () => {
		await admin.goto(userUrl);
		await admin.locator('#agencyId').selectOption({ label: 'Fritidsgården Norrby' });
		await admin.getByRole('button', { name: 'Spara ändringarna' }).click();
		await expect.poll(() => savedNotice(admin).textContent()).toContain('Flytten');
		const facts = admin.locator('[data-testid="user-facts"]');
		expect(await facts.textContent()).toContain('Flytt väntar på godkännande');
		expect(await admin.locator('[data-testid="user-pending-move"]').textContent()).toContain('Fritidsgården Norrby');
		// The user stays where they are until then.
		expect(await admin.locator('#agencyId option:checked').textContent()).toContain('Engelbrektskolan');
		await expectNoSeriousA11yViolations(admin);

		await admin.goto('/admin/role-requests');
		const own = admin.locator('[data-testid="role-request"]', { hasText: 'Kim Kurator Ek' });
		expect(await own.locator('[data-testid="request-kind"]').textContent()).toBe('Flytt till annan aktör');
		expect(await own.locator('[data-testid="approve"]').count()).toBe(0);

		await admin2.goto('/admin/role-requests');
		const request = admin2.locator('[data-testid="role-request"]', { hasText: 'Kim Kurator Ek' });
		expect(await request.locator('[data-testid="request-agency-after"]').textContent()).toBe('Fritidsgården Norrby');
		await expectNoSeriousA11yViolations(admin2);
		await request.locator('[data-testid="approve"]').click();
		await expect.poll(() => savedNotice(admin2).textContent()).toContain('Flytten är godkänd');
		await expectNoSeriousA11yViolations(admin2);

		await admin.goto(userUrl);
		expect(await admin.locator('[data-testid="user-pending-move"]').count()).toBe(0);
		expect(await admin.locator('#agencyId option:checked').textContent()).toContain('Fritidsgården Norrby');
	});

	it("ends another user's sessions at once", async () => {
		const token = await apiLogin('leisure');
		const me = () => fetch(`${apiUrl()}/api/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
		expect(await me()).toBe(200);
		await admin.goto('/admin/users?q=leisure');
		await admin.locator('[data-testid="user-table"] tbody a').first().click();
		await admin.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/);
		await admin.locator('[data-testid="end-sessions"]').click();
		await expect.poll(() => savedNotice(admin).textContent()).toContain('avslutade');
		expect(await me()).toBe(401);
	});

	it('creates an agency and edits its areas and identity provider; the secret only by reference', async () => {
		await admin.goto('/admin/agencies');
		await expectNoSeriousA11yViolations(admin);
		await admin.locator('#name').fill(agencyName);
		await admin.locator('#kind').selectOption('school');
		await admin.getByRole('button', { name: 'Skapa aktör' }).click();
		await expect.poll(() => savedNotice(admin).textContent()).toContain('skapad');
		await admin.getByRole('link', { name: agencyName }).click();
		await admin.waitForURL(/\/admin\/agencies\/[0-9a-f-]{36}$/);
		await expectNoSeriousA11yViolations(admin);

		await admin.locator('#areas-Norrby').check();
		await admin.locator('#areas-Hulta').check();
		await admin.locator('#useProvider').check();
		await admin.locator('#issuer').fill('https://login.e2e-skolan.example');
		await admin.locator('#clientId').fill('samverka');
		// A secret value is refused with a message that says what to enter instead.
		await admin.locator('#clientSecretRef').fill('hemligt värde');
		await admin.getByRole('button', { name: 'Spara aktören' }).click();
		await expect.poll(() => admin.locator('.error-summary').textContent()).toContain('aldrig själva hemligheten');
		await expectNoSeriousA11yViolations(admin);
		await admin.locator('#clientSecretRef').fill('env:E2E_SKOLAN_SECRET');
		await admin.locator('#scopes').fill('openid profile');
		await admin.locator('#acrValues').fill('http://id.elegnamnden.se/loa/1.0/loa3');
		await admin.getByRole('button', { name: 'Spara aktören' }).click();
		await expect.poll(() => savedNotice(admin).textContent()).toContain('sparad');
		await admin.reload();
		expect(await admin.locator('#areas-Norrby').isChecked()).toBe(true);
		expect(await admin.locator('#areas-Hulta').isChecked()).toBe(true);
		expect(await admin.locator('#clientSecretRef').inputValue()).toBe('env:E2E_SKOLAN_SECRET');
		expect(await admin.locator('#issuer').inputValue()).toBe('https://login.e2e-skolan.example');
	});

	it('the workspace is in English too', async () => {
		const { page } = await openPage(browser, { locale: 'en-GB' });
		await login(page, 'admin2');
		await page.locator('button', { hasText: 'In English' }).click();
		await page.waitForFunction(() => document.documentElement.lang === 'en');
		await page.goto('/admin/role-requests');
		expect(await page.locator('h1').textContent()).toBe('Role requests');
		await expectNoSeriousA11yViolations(page);
		await page.context().close();
	});

	it('the auditor reads the change log; other roles do not find the workspace', async () => {
		const { page } = await openPage(browser);
		await login(page, 'auditor');
		await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Administrationens ändringar' }).click();
		await page.waitForURL(/\/admin\/changes$/);
		expect(await page.locator('[data-testid="change-table"]').textContent()).toContain('Roller beviljade');
		await expectNoSeriousA11yViolations(page);
		const users = await page.goto('/admin/users');
		expect(users?.status()).toBe(404);
		await page.context().close();
		const social = (await openPage(browser)).page;
		await login(social, 'social');
		expect(await social.getByRole('link', { name: 'Administration' }).count()).toBe(0);
		expect((await social.goto('/admin/changes'))?.status()).toBe(404);
		await social.context().close();
	});

	it('the change log shows who changed what, before and after', async () => {
		await admin.goto('/admin/changes');
		await expectNoSeriousA11yViolations(admin);
		const table = (await admin.locator('[data-testid="change-table"]').textContent()) ?? '';
		expect(table).toContain('Roller beviljade');
		expect(table).toContain('Flytt godkänd');
		expect(table).toContain('Användare flyttad till annan aktör');
		expect(table).toContain('Lena Ström');
		expect(table).toContain('env:E2E_SKOLAN_SECRET');
		expect(table).not.toContain('hemligt värde');
	});
});
