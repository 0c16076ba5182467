import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { count, createCase } from './fixtures.js';

describe('journal entries', () => {
  let t: TestContext;
  let social: string;
  let caseId: string;
  let otherCaseId: string;
  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    caseId = (await createCase(t.app, social)).id;
    otherCaseId = (await createCase(t.app, social, {}, { personalIdentityNumber: '198211059954', guardians: [] })).id;
  });
  afterAll(async () => t.close());

  const post = (id: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `/api/cases/${id}/entries`, headers: bearer(social), payload });

  it('writes an entry stamped with author, agency and category (201), audited with the case and subject', async () => {
    const res = await post(caseId, { category: 'social', text: 'Kartläggningssamtal med Elin och vårdnadshavare.' });
    expect(res.statusCode).toBe(201);
    const e = res.json();
    const me = (await t.app.inject({ url: '/api/me', headers: bearer(social) })).json();
    expect(e).toMatchObject({
      category: 'social',
      agencyId: me.agencyId,
      authorId: me.id,
      authorName: 'Sara Lind',
      caseId,
      corrects: null,
      text: 'Kartläggningssamtal med Elin och vårdnadshavare.',
    });
    expect(new Date(e.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const { rows } = await t.sql.query(
      "SELECT action, resource_id, case_id, subject_id, outcome FROM audit_queue WHERE action = 'entry.create'",
    );
    expect(rows).toEqual([expect.objectContaining({ resource_id: e.id, case_id: caseId, outcome: 'allowed' })]);
    expect(rows[0].subject_id).toBeTruthy();
  });

  it('refuses categories the agency kind does not author, unknown categories, empty and overlong text, unknown properties: 400, nothing written', async () => {
    const before = await count(t, 'journal_entry');
    for (const payload of [
      { category: 'school', text: 'Skolans uppgift' },
      { category: 'police', text: 'x' },
      { category: 'gossip', text: 'x' },
      { category: 'social', text: '' },
      { category: 'social', text: 'x'.repeat(20001) },
      { category: 'social', text: 'x', author: 'someone' },
      { category: 'social' },
      { category: 'social', text: 'x', corrects: 'not-a-uuid' },
    ]) {
      const res = await post(caseId, payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 60)).toBe(400);
    }
    expect(await count(t, 'journal_entry')).toBe(before);
    expect((await post(caseId, { category: 'social', text: 'x'.repeat(20000) })).statusCode).toBe(201);
  });

  it('is append-only: a correction is a new entry pointing at one of the same case; no PATCH or DELETE', async () => {
    const original = (await post(caseId, { category: 'health', text: 'Fel datum angivet.' })).json();
    const fix = await post(caseId, { category: 'health', text: 'Rätt datum är 3 mars.', corrects: original.id });
    expect(fix.statusCode).toBe(201);
    expect(fix.json().corrects).toBe(original.id);
    const before = await count(t, 'journal_entry');
    const cross = await post(otherCaseId, { category: 'health', text: 'x', corrects: original.id });
    expect(cross.statusCode).toBe(400);
    expect(cross.json().detail).toBe('The entry to correct is not in this case.');
    expect((await post(caseId, { category: 'health', text: 'x', corrects: '00000000-0000-4000-8000-000000000000' })).statusCode).toBe(400);
    expect(await count(t, 'journal_entry')).toBe(before);
    for (const method of ['PATCH', 'DELETE', 'PUT'] as const) {
      const res = await t.app.inject({
        method,
        url: `/api/cases/${caseId}/entries/${original.id}`,
        headers: bearer(social),
        payload: { text: 'ändrat' },
      });
      expect(res.statusCode).toBe(404);
    }
    const { rows } = await t.sql.query('SELECT text FROM journal_entry WHERE id = $1', [original.id]);
    expect(rows[0].text).toBe('Fel datum angivet.');
  });

  it('lists entries newest first, paginated, only of the case in the URL; the read is audited', async () => {
    const id = (await createCase(t.app, social, {}, { personalIdentityNumber: '19901211-9948', guardians: [] })).id;
    for (let i = 1; i <= 25; i++) expect((await post(id, { category: 'social', text: `Anteckning ${i}` })).statusCode).toBe(201);
    const first = await t.app.inject({ url: `/api/cases/${id}/entries?pageSize=10`, headers: bearer(social) });
    expect(first.statusCode).toBe(200);
    const p1 = first.json();
    expect(p1).toMatchObject({ total: 25, page: 1, pageSize: 10 });
    expect(p1.items.map((e: { text: string }) => e.text)).toEqual(Array.from({ length: 10 }, (_, i) => `Anteckning ${25 - i}`));
    expect(p1.items.every((e: { authorName: string }) => e.authorName === 'Sara Lind')).toBe(true);
    const p3 = (await t.app.inject({ url: `/api/cases/${id}/entries?pageSize=10&page=3`, headers: bearer(social) })).json();
    expect(p3.items.map((e: { text: string }) => e.text)).toEqual([
      'Anteckning 5',
      'Anteckning 4',
      'Anteckning 3',
      'Anteckning 2',
      'Anteckning 1',
    ]);
    expect((await t.app.inject({ url: `/api/cases/${id}/entries?page=9`, headers: bearer(social) })).json().items).toEqual([]);
    expect((await t.app.inject({ url: `/api/cases/${id}/entries?pageSize=101`, headers: bearer(social) })).statusCode).toBe(400);
    expect((await t.app.inject({ url: `/api/cases/${id}/entries?page=0`, headers: bearer(social) })).statusCode).toBe(400);
    expect((await t.app.inject({ url: `/api/cases/${id}/entries?sort=asc`, headers: bearer(social) })).statusCode).toBe(400);
    const { rows } = await t.sql.query("SELECT count(*)::int AS n FROM audit_queue WHERE action = 'entry.list' AND case_id = $1", [id]);
    expect(rows[0].n).toBe(3);
    // Staff names appear in answers, never in the audit trail.
    expect(JSON.stringify((await t.sql.query('SELECT * FROM audit_queue')).rows)).not.toContain('Sara Lind');
  });
});
