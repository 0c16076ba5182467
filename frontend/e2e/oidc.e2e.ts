import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOidcProvider, type OidcTestProvider } from '../../backend/test/helpers/oidc-provider.ts';
import { baseUrl, demoUser, expectNoSeriousA11yViolations, launchBrowser, openPage } from './helpers';

const LOA3 = 'http://id.elegnamnden.se/loa/1.0/loa3';
const LOA2 = 'http://id.elegnamnden.se/loa/1.0/loa2';

let browser: Browser;
let provider: OidcTestProvider;
let db: pg.Client;
let policeAgencyId: string;

// The police sign in through their own provider (a real oidc-provider on a free port), configured
// for this file only: other browser tests see the sign-in page without it.
beforeAll(async () => {
	browser = await launchBrowser();
	provider = await startOidcProvider({
		name: 'Polisen',
		clients: [{ clientId: 'samverka-e2e-police', redirectUris: [`${baseUrl()}/login/oidc/callback`] }],
		accounts: [
			{ login: 'maria.berg', password: 'polisens-lösen', sub: 'police-e2e-maria', acr: LOA3 },
			{ login: 'svag', password: 'polisens-lösen', sub: 'police-e2e-weak', acr: LOA2 }
		]
	});
	db = new pg.Client({ connectionString: inject('DATABASE_URL') });
	await db.connect();
	const { rows } = await db.query<{ id: string }>("SELECT id FROM agency WHERE kind = 'police'");
	policeAgencyId = rows[0]!.id;
	await db.query(
		`INSERT INTO agency_idp (agency_id, issuer, client_id, client_secret_ref, scopes, subject_claim, acr_values)
		 VALUES ($1, $2, 'samverka-e2e-police', NULL, '{openid}', 'sub', $3)`,
		[policeAgencyId, provider.issuer, [LOA3]]
	);
	await db.query("UPDATE app_user SET oidc_subject = 'police-e2e-maria' WHERE username = 'police'");
});

afterAll(async () => {
	if (db) {
		await db.query('DELETE FROM agency_idp WHERE agency_id = $1', [policeAgencyId]);
		await db.query("UPDATE app_user SET oidc_subject = NULL WHERE username = 'police'");
		await db.end();
	}
	await provider?.close();
	await browser?.close();
});

describe('sign-in through the agency’s own identity provider', () => {
	it('the police user clicks "Logga in med Polisen", signs in at the provider and comes back signed in', async () => {
		const who = await demoUser('police');
		const { context, page } = await openPage(browser);
		await page.goto('/login');
		const button = page.getByRole('link', { name: /^Logga in med Polisen/ });
		expect(await button.count()).toBe(1);
		// The local form stays: the other agencies still sign in with a password.
		expect(await page.locator('#username').isVisible()).toBe(true);
		await expectNoSeriousA11yViolations(page);

		await button.click();
		await page.waitForURL(`${provider.issuer}/interaction/**`);
		await page.getByLabel('Användarnamn').fill('maria.berg');
		await page.getByLabel('Lösenord').fill('polisens-lösen');
		await page.getByRole('button', { name: 'Logga in' }).click();

		await page.waitForURL(`${baseUrl()}/`);
		expect(await page.locator('h1').textContent()).toBe('Start');
		expect(await page.getByTestId('user-name').textContent()).toBe(who.displayName);
		expect(await page.getByTestId('user-agency').textContent()).toBe(who.agencyName);
		await context.close();
	});

	it('does not let another browser finish a sign-in that this one started (login CSRF)', async () => {
		// The attacker signs in at the provider and keeps the way back instead of following it …
		const attacker = await openPage(browser);
		let callback = '';
		await attacker.page.route(
			(url) => url.pathname.startsWith('/interaction/'),
			async (route) => {
				if (route.request().method() !== 'POST') return route.continue();
				const signedIn = await route.fetch({ maxRedirects: 0 });
				const resume = new URL(signedIn.headers()['location'] ?? '', route.request().url());
				const back = await attacker.context.request.get(resume.href, { maxRedirects: 0 });
				callback = back.headers()['location'] ?? '';
				await route.fulfill({ status: 200, contentType: 'text/plain', body: 'kept' });
			}
		);
		await attacker.page.goto('/login');
		await attacker.page.getByRole('link', { name: /^Logga in med Polisen/ }).click();
		await attacker.page.waitForURL(`${provider.issuer}/interaction/**`);
		await attacker.page.getByLabel('Användarnamn').fill('maria.berg');
		await attacker.page.getByLabel('Lösenord').fill('polisens-lösen');
		await attacker.page.getByRole('button', { name: 'Logga in' }).click();
		await expect.poll(() => callback).toContain('code=');
		await attacker.context.close();

		// … and gets the victim's browser to open it: refused, and the victim is not signed in.
		const victim = await openPage(browser);
		await victim.page.goto(callback);
		await victim.page.locator('[role="alert"]').waitFor();
		expect(await victim.page.locator('[role="alert"]').textContent()).toContain('Börja om från inloggningssidan');
		expect((await victim.context.cookies()).map((c) => c.name)).not.toContain('samverka_session');
		await victim.context.close();
	});

	it('refuses a sign-in below the required level with a clear, accessible message', async () => {
		const { context, page } = await openPage(browser);
		await page.goto('/login');
		await page.getByRole('link', { name: /^Logga in med Polisen/ }).click();
		await page.waitForURL(`${provider.issuer}/interaction/**`);
		await page.getByLabel('Användarnamn').fill('svag');
		await page.getByLabel('Lösenord').fill('polisens-lösen');
		await page.getByRole('button', { name: 'Logga in' }).click();

		await page.waitForURL(`${baseUrl()}/login/oidc/callback**`);
		await page.locator('[role="alert"]').waitFor();
		expect(await page.locator('h1').textContent()).toBe('Inloggningen kunde inte slutföras');
		expect(await page.locator('[role="alert"]').textContent()).toContain('stark autentisering');
		await expectNoSeriousA11yViolations(page);
		// Not signed in: the app sends the browser to the sign-in page.
		await page.goto('/');
		expect(page.url()).toBe(`${baseUrl()}/login`);
		await context.close();
	});
});
