import pg from 'pg';
import { PgBoss } from 'pg-boss';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedCase, staff } from '../../backend/test/retention/fixtures.ts';
import { baseUrl, expectNoSeriousA11yViolations, launchBrowser, login, openPage } from './helpers';

/**
 * The auditor's retention report against the real backend: reached from the auditor's tools,
 * it states the rules of policies/retention.yaml and passes the accessibility check; for anyone
 * else it does not exist. A run through the job queue on seeded old cases erases exactly what the
 * policy says, and the auditor then sees it in the report with the trail still verifying.
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

describe('a retention run on seeded old cases', () => {
	it('erases exactly what policies/retention.yaml says, and the audit trail still verifies', async () => {
		const databaseUrl = inject('DATABASE_URL');
		const sql = new pg.Pool({ connectionString: databaseUrl, max: 2 });
		try {
			const s = await staff({ sql });
			// Closed six years ago, last entry seven years ago: past the five-year period.
			const due = await seedCase({ sql }, s, { birthDate: '2004-03-04', status: 'closed', closedYearsAgo: 6, entryYearsAgo: 7 });
			// The same, but born on the 15th: kept for research (socialtjänstförordningen 7 kap. 2 §).
			const kept = await seedCase({ sql }, s, { birthDate: '2004-03-15', status: 'closed', closedYearsAgo: 6, entryYearsAgo: 7 });
			// Old but still open: never erased.
			const open = await seedCase({ sql }, s, { birthDate: '2004-03-06', status: 'open', entryYearsAgo: 7 });
			// Closed recently: its period has not run out.
			const recent = await seedCase({ sql }, s, { birthDate: '2004-03-07', status: 'closed', closedYearsAgo: 1, entryYearsAgo: 1 });

			// Other browser-test files share this database, and one of them alters an audit entry on
			// purpose: what must hold is that the erasure changes nothing in the verdict (ok stays ok).
			const verdict = async (): Promise<string> => {
				const { context, page } = await openPage(browser);
				await login(page, 'auditor');
				await page.goto('/audit/integrity');
				const title = (await page.locator('[data-testid="integrity-status"] .audit-status__title').textContent()) ?? '';
				await context.close();
				return title.trim();
			};
			const before = await verdict();

			// The run goes through the same job queue the schedule uses; the API's worker takes it.
			const boss = new PgBoss({ connectionString: databaseUrl, schema: 'pgboss', supervise: false, schedule: false, migrate: false });
			await boss.start();
			try {
				expect(await boss.send('retention')).toBeTruthy();
			} finally {
				await boss.stop({ graceful: false });
			}
			let erased = false;
			for (let i = 0; i < 120 && !erased; i++) {
				const { rows } = await sql.query('SELECT 1 FROM retention_erasure WHERE resource_id = $1', [due.id]);
				erased = rows.length === 1;
				if (!erased) await new Promise((r) => setTimeout(r, 500));
			}
			expect(erased).toBe(true);

			const left = async (caseId: string, subjectId: string) => {
				const { rows } = await sql.query<{ cases: number; journal: number; consents: number; subjects: number }>(
					`SELECT (SELECT count(*)::int FROM support_case WHERE id = $1) AS cases,
					        (SELECT count(*)::int FROM journal_entry WHERE case_id = $1) AS journal,
					        (SELECT count(*)::int FROM consent WHERE case_id = $1) AS consents,
					        (SELECT count(*)::int FROM subject WHERE id = $2) AS subjects`,
					[caseId, subjectId]
				);
				return rows[0]!;
			};
			expect(await left(due.id, due.subjectId)).toEqual({ cases: 0, journal: 0, consents: 0, subjects: 0 });
			expect(await left(kept.id, kept.subjectId)).toEqual({ cases: 1, journal: 1, consents: 1, subjects: 1 });
			expect(await left(open.id, open.subjectId)).toEqual({ cases: 1, journal: 1, consents: 1, subjects: 1 });
			expect(await left(recent.id, recent.subjectId)).toEqual({ cases: 1, journal: 1, consents: 1, subjects: 1 });
			const { rows: others } = await sql.query<{ n: number }>(
				'SELECT count(*)::int AS n FROM retention_erasure WHERE resource_id = ANY($1)',
				[[kept.id, open.id, recent.id]]
			);
			expect(others[0]!.n).toBe(0);

			const { context, page } = await openPage(browser);
			await login(page, 'auditor');
			await page.goto('/audit/retention');
			// The report names the erased case by its id (never by content).
			const row = page.locator('[data-testid="retention-erased"] tr', { hasText: due.id });
			expect(await row.count()).toBe(1);
			expect(await row.locator('code').first().textContent()).toBe('case_closed_period');
			expect(await page.locator('[data-testid="retention-erased"]').textContent()).not.toContain(kept.id);
			expect(await page.locator('[data-testid="retention-kept"]').textContent()).toContain('research_birth_days');
			await context.close();
			expect(before).not.toBe('');
			expect(await verdict()).toBe(before);
		} finally {
			await sql.end();
		}
	});
});
