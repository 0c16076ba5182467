import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { birthDateFor, daysFromToday, openCase, recordConsent, today } from '../consents/fixtures.js';
import { agencies, deniedCount, type Agencies } from './fixtures.js';

interface Page {
  items: { id: string; text: string; category: string; agencyId: string }[];
  total: number;
  withheld: { category: string; count: number; reason: string }[];
}

/**
 * Searching a case's journal: filters by category, agency, author, days and text apply to what
 * the decision point lets the caller see (a partner's filter never reveals a withheld entry), and
 * `withheld` stays the whole journal's.
 */
describe('journal search', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let police: string;
  let a: Agencies;
  let caseId: string;
  let schoolUserId: string;

  const call = (token: string | null, query: string) =>
    t.app.inject({ method: 'GET', url: `/api/cases/${caseId}/entries?${query}`, ...(token ? { headers: bearer(token) } : {}) });
  const page = async (token: string, query: string): Promise<Page> => {
    const res = await call(token, query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const write = async (token: string, category: string, text: string): Promise<void> => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/entries`,
      headers: bearer(token),
      payload: { category, text },
    });
    expect(res.statusCode, res.body).toBe(201);
  };

  beforeAll(async () => {
    t = await createTestApp();
    a = await agencies(t);
    [social, school, police] = (await Promise.all(['social', 'school', 'police'].map((u) => login(t.app, u)))) as [string, string, string];
    schoolUserId = (await t.sql.query("SELECT id FROM app_user WHERE username = 'school'")).rows[0].id;
    caseId = (await openCase(t.app, social, birthDateFor(30), { agencyIds: [a.school, a.police], serial: '811' })).id;
    await recordConsent(t.app, social, caseId, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.school],
      categories: ['identity', 'plan', 'school'],
    });
    await write(social, 'social', 'Hemmet: oro för ekonomin, 50% av hyran obetald');
    await write(social, 'social', 'Samtal med mamman om ekonomi');
    await write(social, 'plan', 'Frånvaro 50 procent i matematik');
    await write(social, 'identity', 'Ny adress_rad registrerad');
    await write(school, 'school', 'Mentorn ser förbättring i matematik');
  });
  afterAll(async () => t.close());

  it('answers 401 without a session, and 404 (audited) to a partner without consent', async () => {
    expect((await call(null, 'q=matematik')).statusCode).toBe(401);
    const denied = await deniedCount(t);
    expect((await call(police, 'q=matematik')).statusCode).toBe(404);
    expect(await deniedCount(t)).toBe(denied + 1);
  });

  it('refuses malformed filters with 400', async () => {
    for (const q of [
      'from=2026-13-01',
      'to=yesterday',
      'agencyId=x',
      'authorId=1',
      'q=',
      `q=${'x'.repeat(201)}`,
      'category=Skola',
      'colour=red',
      'q=%20%20',
    ]) {
      expect((await call(social, q)).statusCode, q).toBe(400);
    }
    const unknown = await call(social, 'category=weather');
    expect(unknown.json()).toMatchObject({ type: 'urn:samverka:problem:unknown_category' });
    const reversed = await call(social, `from=${today()}&to=${daysFromToday(-1)}`);
    expect(reversed.json()).toMatchObject({ type: 'urn:samverka:problem:range_reversed' });
  });

  it('the owning unit filters by category, agency, author, days and text (wildcards are literal)', async () => {
    expect((await page(social, 'category=social')).items.map((e) => e.text).sort()).toEqual([
      'Hemmet: oro för ekonomin, 50% av hyran obetald',
      'Samtal med mamman om ekonomi',
    ]);
    expect((await page(social, `agencyId=${a.school}`)).items.map((e) => e.text)).toEqual(['Mentorn ser förbättring i matematik']);
    expect((await page(social, `authorId=${schoolUserId}`)).total).toBe(1);
    expect((await page(social, 'q=MATEMATIK')).total).toBe(2);
    expect((await page(social, `q=${encodeURIComponent('50%')}`)).items.map((e) => e.text)).toEqual([
      'Hemmet: oro för ekonomin, 50% av hyran obetald',
    ]);
    // `_` is a character, not any character ("Mentorn ser" does not match).
    expect((await page(social, 'q=s_r')).items.map((e) => e.text)).toEqual(['Ny adress_rad registrerad']);
    expect((await page(social, `from=${today()}&to=${today()}`)).total).toBe(5);
    expect((await page(social, `from=${daysFromToday(1)}`)).total).toBe(0);
    expect((await page(social, `to=${daysFromToday(-1)}`)).total).toBe(0);
    expect((await page(social, 'category=social&q=ekonomi')).total).toBe(2);
    // Paged: two of three matches, then the rest by keyset.
    const first = await page(social, 'q=a&pageSize=2');
    expect(first.total).toBe(5);
    const rest = await page(social, `q=a&pageSize=10&after=${first.items[1]!.id}`);
    expect(rest.items.length).toBe(3);
    expect(rest.items.some((e) => first.items.some((f) => f.id === e.id))).toBe(false);
  });

  it("a partner's filter never reveals a withheld entry, and withheld stays the whole journal's", async () => {
    const plain = await page(school, '');
    expect(plain.total).toBe(3);
    expect(plain.withheld).toEqual([{ category: 'social', count: 2, reason: expect.any(String) }]);
    for (const q of ['q=ekonomi', 'category=social', `q=${encodeURIComponent('50%')}`]) {
      const filtered = await page(school, q);
      expect(
        filtered.items.every((e) => e.category !== 'social'),
        q,
      ).toBe(true);
      expect(
        filtered.items.some((e) => e.text.includes('ekonomi')),
        q,
      ).toBe(false);
      expect(filtered.withheld, q).toEqual(plain.withheld);
    }
    expect((await page(school, 'q=matematik')).items.map((e) => e.text).sort()).toEqual([
      'Frånvaro 50 procent i matematik',
      'Mentorn ser förbättring i matematik',
    ]);
  });
});
