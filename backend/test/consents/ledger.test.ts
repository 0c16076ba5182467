import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENCIES, DEMO_USERS } from '../../src/db/seed.js';
import { bearer, createTestApp, createUser, login, type TestContext } from '../helpers/app.js';
import { agencies, birthDateFor, count, openCase, recordConsent, today, type Agencies, type TestCase } from './fixtures.js';

const SCHOOL_USER = DEMO_USERS.find((u) => u.username === 'school')!.displayName;

interface Row {
  id: string;
  day: string;
  category: string;
  toAgencyId: string;
  toAgencyName: string | null;
  toUserName: string | null;
  fromAgencyName: string | null;
}
interface Group {
  day: string;
  agencyId: string;
  agencyName: string | null;
  category: string;
  count: number;
  items: Row[];
}

/**
 * The disclosure ledger read as a person reads it: grouped per day × recipient agency × category
 * in SQL, each group's count the number of its rows, recipients named; filters by period, agency
 * and category; the owning unit's alone.
 */
describe('the disclosure ledger, grouped and filtered', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let police: string;
  let a: Agencies;
  let c: TestCase;
  let consentId: string;

  const get = (token: string, url: string) => t.app.inject({ url, headers: bearer(token) });
  const ledger = (q = '') => get(social, `/api/cases/${c.id}/disclosures${q}`);

  beforeAll(async () => {
    t = await createTestApp();
    [social, school, police] = (await Promise.all(['social', 'school', 'police'].map((u) => login(t.app, u)))) as [string, string, string];
    a = await agencies(t);
    c = await openCase(t.app, social, birthDateFor(25, 70), { agencyIds: [a.school, a.police], serial: '733' });
    const entry = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${c.id}/entries`,
      headers: bearer(social),
      payload: { category: 'identity', text: 'Flyttat inom kommunen' },
    });
    expect(entry.statusCode).toBe(201);
    consentId = (
      await recordConsent(t.app, social, c.id, {
        givenBy: { kind: 'subject' },
        agencyIds: [a.social, a.school, a.police],
        categories: ['identity', 'school', 'plan'],
      })
    ).id;
    // Today: the school reads the case three times, the police once.
    for (const token of [school, school, school, police]) expect((await get(token, `/api/cases/${c.id}`)).statusCode).toBe(200);
    expect((await get(school, `/api/cases/${c.id}/entries`)).statusCode).toBe(200);
    // Two earlier disclosures to the school, late in the evening UTC: already 1 December in Stockholm.
    const [schoolUser] = (await t.sql.query("SELECT id FROM app_user WHERE username = 'school'")).rows as { id: string }[];
    for (let i = 0; i < 2; i++) {
      await t.sql.query(
        `INSERT INTO disclosure (id, case_id, subject_id, item_type, item_id, category, from_agency_id, to_agency_id, to_user_id, consent_ids, disclosed_at, request_id)
         VALUES ($1, $2, $3, 'case', $2, 'identity', $4, $5, $6, $7::uuid[], '2026-11-30T23:30:00Z', 'earlier')`,
        [randomUUID(), c.id, c.subjectId, a.social, a.school, schoolUser!.id, [consentId]],
      );
    }
  });
  afterAll(async () => t.close());

  it('groups per day × agency × category in counts that match the rows, newest day first, recipients named', async () => {
    const all = await ledger('?pageSize=500');
    expect(all.statusCode).toBe(200);
    const rows = all.json().items as Row[];
    expect(all.json().total).toBe(await count(t, 'disclosure', 'case_id = $1', [c.id]));

    const res = await ledger('?group=day&pageSize=100&groupRows=100');
    expect(res.statusCode).toBe(200);
    const body = res.json() as { items: Row[]; groups: Group[]; total: number; totalRows: number };
    expect(body.items).toEqual([]);
    expect(body.total).toBe(body.groups.length);
    expect(body.totalRows).toBe(rows.length);
    expect(body.groups.reduce((n, g) => n + g.count, 0)).toBe(rows.length);

    // Every group's count is the number of its rows, and each row is in the group of its own key.
    for (const g of body.groups) {
      const mine = rows.filter((r) => r.day === g.day && r.toAgencyId === g.agencyId && r.category === g.category);
      expect(g.count).toBe(mine.length);
      expect(g.items.map((r) => r.id).sort()).toEqual(mine.map((r) => r.id).sort());
    }
    const days = body.groups.map((g) => g.day);
    expect(days).toEqual([...days].sort().reverse());
    expect(days.at(-1)).toBe('2026-12-01');
    expect(days[0]).toBe(today());

    const schoolCase = body.groups.find((g) => g.day === today() && g.agencyId === a.school && g.category === 'identity')!;
    const agencyName = (key: string) => DEMO_AGENCIES.find((x) => x.key === key)!.name;
    expect(schoolCase.agencyName).toBe(agencyName('school'));
    expect(schoolCase.items[0]).toMatchObject({
      toUserName: SCHOOL_USER,
      toAgencyName: agencyName('school'),
      fromAgencyName: agencyName('social'),
    });
    expect(body.groups.some((g) => g.agencyId === a.police)).toBe(true);
  });

  it('gives a group its rows through the filters, and pages the groups', async () => {
    const grouped = (await ledger('?group=day&groupRows=1')).json() as { groups: Group[] };
    const g = grouped.groups.find((x) => x.count > 1)!;
    expect(g.items).toHaveLength(1);
    const rows = await ledger(`?from=${g.day}&to=${g.day}&agencyId=${g.agencyId}&category=${g.category}&pageSize=500`);
    expect(rows.statusCode).toBe(200);
    expect(rows.json().total).toBe(g.count);
    expect((rows.json().items as Row[]).every((r) => r.day === g.day && r.toAgencyId === g.agencyId && r.category === g.category)).toBe(
      true,
    );
    expect((rows.json().items as Row[])[0]!.id).toBe(g.items[0]!.id);

    const first = (await ledger('?group=day&pageSize=1')).json() as { groups: Group[]; total: number };
    const second = (await ledger('?group=day&pageSize=1&page=2')).json() as { groups: Group[]; total: number };
    expect(first.groups).toHaveLength(1);
    expect(second.groups).toHaveLength(1);
    expect(second.total).toBe(first.total);
    expect(second.groups[0]).not.toEqual(first.groups[0]);

    const earlier = (await ledger('?group=day&to=2026-12-01')).json() as { groups: Group[]; totalRows: number };
    expect(earlier.groups.map((x) => [x.day, x.category, x.count])).toEqual([['2026-12-01', 'identity', 2]]);
    const police = (await ledger(`?group=day&agencyId=${a.police}`)).json() as { groups: Group[] };
    expect(police.groups.length).toBeGreaterThan(0);
    expect(police.groups.every((x) => x.agencyId === a.police)).toBe(true);
  });

  it('the subject ledger groups the same way', async () => {
    const byCase = (await ledger('?group=day')).json();
    const bySubject = await get(social, `/api/subjects/${c.subjectId}/disclosures?group=day`);
    expect(bySubject.statusCode).toBe(200);
    expect(bySubject.json().groups).toEqual(byCase.groups);
  });

  it('refuses a filter that cannot be read: 400, and nothing audited as read', async () => {
    const before = await count(t, 'audit_queue', "action = 'disclosure.read' AND case_id = $1", [c.id]);
    for (const q of [
      '?group=week',
      '?from=2026-12-05&to=2026-12-01',
      '?category=nonsense',
      '?category=Skola',
      '?agencyId=not-a-uuid',
      '?from=05-12-2026',
      '?groupRows=101',
    ]) {
      const res = await ledger(q);
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await ledger('?category=nonsense')).json().type).toBe('urn:samverka:problem:unknown_category');
    expect((await ledger('?from=2026-12-05&to=2026-12-01')).json().type).toBe('urn:samverka:problem:bad_period');
    expect(await count(t, 'audit_queue', "action = 'disclosure.read' AND case_id = $1", [c.id])).toBe(before);
  });

  it('is the owning unit’s alone: 401 without a session, 403 for a partner role, 404 for another unit — audited', async () => {
    expect((await t.app.inject({ url: `/api/cases/${c.id}/disclosures?group=day` })).statusCode).toBe(401);
    const denied = () => count(t, 'audit_queue', "outcome = 'denied'");
    let before = await denied();
    const partner = await get(school, `/api/cases/${c.id}/disclosures?group=day`);
    expect(partner.statusCode).toBe(403);
    expect(await denied()).toBe(before + 1);

    const admin = await login(t.app, 'admin');
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/admin/agencies',
      headers: bearer(admin),
      payload: { name: 'Grannkommunens IFO', kind: 'social_services' },
    });
    await createUser(
      t.app,
      admin,
      {
        username: 'ledgerother',
        displayName: 'Lena Annan',
        password: 'other-ledger-pass',
        agencyId: other.json().id,
        roles: ['social_worker'],
      },
      { approver: await login(t.app, 'admin2') },
    );
    const otherSocial = await login(t.app, 'ledgerother', 'other-ledger-pass');
    before = await denied();
    for (const url of [`/api/cases/${c.id}/disclosures?group=day`, `/api/subjects/${c.subjectId}/disclosures?group=day`]) {
      const res = await get(otherSocial, url);
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain(SCHOOL_USER);
    }
    expect(await denied()).toBe(before + 2);
  });
});
