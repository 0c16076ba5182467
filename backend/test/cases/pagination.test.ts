import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { createCase } from './fixtures.js';

/** Bounded pagination: a page must start within the rows a list can show, so no request scans without bound. */
describe('bounded pagination', () => {
  let t: TestContext;
  let social: string;
  let caseId: string;
  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    caseId = (await createCase(t.app, social)).id;
  });
  afterAll(async () => t.close());

  const get = (url: string) => t.app.inject({ url, headers: bearer(social) });

  it.each([
    ['a plain list beyond the deepest row', '/api/cases?page=101&pageSize=100'],
    ['a filtered list beyond its count cap', '/api/cases?area=Norrby&page=11&pageSize=100'],
    ['a journal beyond the deepest row', `/api/cases/{case}/entries?page=101&pageSize=100`],
    ['meetings beyond the deepest row', `/api/cases/{case}/meetings?page=1001&pageSize=10`],
  ])('%s → 400 page_out_of_range, naming the page', async (_name, url) => {
    const res = await get(url.replace('{case}', caseId));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ type: 'urn:samverka:problem:page_out_of_range', errors: [{ path: '/page' }] });
  });

  it('a name search pages only within its cap of 100', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/cases/search',
      headers: bearer(social),
      payload: { q: 'Andersson', page: 6, pageSize: 20 },
    });
    expect(res.statusCode).toBe(400);
    const last = await t.app.inject({
      method: 'POST',
      url: '/api/cases/search',
      headers: bearer(social),
      payload: { q: 'Andersson', page: 5, pageSize: 20 },
    });
    expect(last.statusCode).toBe(200);
  });

  it('a journal pages by keyset (`after` the last entry seen): the same entries as by number, none twice, none skipped', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/cases/${caseId}/entries`,
        headers: bearer(social),
        payload: { category: 'social', text: `Anteckning ${i}` },
      });
      expect(res.statusCode).toBe(201);
    }
    const byNumber = (await get(`/api/cases/${caseId}/entries?pageSize=100`)).json().items.map((e: { id: string }) => e.id);
    const byKeyset: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await get(`/api/cases/${caseId}/entries?pageSize=2${after ? `&after=${after}` : ''}`)).json().items as { id: string }[];
      if (page.length === 0) break;
      byKeyset.push(...page.map((e) => e.id));
      after = page.at(-1)!.id;
    }
    expect(byKeyset).toEqual(byNumber);
    expect(byNumber.length).toBeGreaterThanOrEqual(5);
    // Deep keyset pages have no page bound; an id of another case gives an empty page.
    expect((await get(`/api/cases/${caseId}/entries?page=5000&after=${byNumber[0]}`)).statusCode).toBe(200);
    expect((await get(`/api/cases/${caseId}/entries?after=${caseId}`)).json().items).toEqual([]);
    expect((await get(`/api/cases/${caseId}/entries?after=not-a-uuid`)).statusCode).toBe(400);
  });

  it('the last page within the bound still answers', async () => {
    expect((await get('/api/cases?page=100&pageSize=100')).statusCode).toBe(200);
    expect((await get(`/api/cases/${caseId}/entries?page=100&pageSize=100`)).statusCode).toBe(200);
  });
});
