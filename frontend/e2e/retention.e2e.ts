import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * The auditor's retention report against the real backend: reached from the auditor's tools,
 * it states the rules of policies/retention.yaml and passes the accessibility check; for anyone
 * else it does not exist.
 */

let browser: Browser;

beforeAll(async () => {
	browser = await launchBrowser();
});

afterAll(async () => {
	await browser?.close();
});

describe('retention report', () => {
	it('the auditor opens it from the tools and reads the rules and the state', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'auditor');
		await page.goto('/audit');
		await page.locator('[data-testid="audit-tools"] a[href="/audit/retention"]').click();
		await page.waitForURL(`${baseUrl()}/audit/retention`);
		expect(await page.title()).toBe('Gallring – Samverka');
		expect(await page.locator('h1').textContent()).toBe('Gallring');
		expect(await page.locator('[data-testid="audit-tools"] a[aria-current="page"]').textContent()).toBe('Gallring');
		const rules = await page.locator('section[aria-labelledby="retention-policy"] li').allTextContents();
		expect(rules.join('\n')).toContain('5 år efter sista anteckningen');
		expect(rules.join('\n')).toContain('5, 15, 25');
		expect(await page.locator('#retention-due').count()).toBe(1);
		await expectNoSeriousA11yViolations(page);
		await context.close();
	});

	it('is not found for anyone but the auditor', async () => {
		const { context, page } = await openPage(browser);
		await login(page, 'social');
		const response = await page.goto('/audit/retention');
		expect(response?.status()).toBe(404);
		await context.close();
	});
});
