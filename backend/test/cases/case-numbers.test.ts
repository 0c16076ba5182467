import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { initOrm } from '../../src/db/orm.js';
import { migrationsList } from '../../src/db/migrations/index.js';
import { parseCaseNumber } from '../../src/modules/cases/case-number.js';
import { stockholmDate } from '../../src/modules/consents/calendar.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { birthDateFor, openCase, recordConsent } from '../consents/fixtures.js';
import { agencies, createCase, pin, type Agencies } from './fixtures.js';

interface ListPage {
  items: { id: string; caseNumber: string }[];
  total: number;
}

const year = stockholmDate(new Date()).slice(0, 4);
const serial = (n: string): number => Number(n.split('-')[2]);

describe('case numbers (diarienummer)', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let police: string;
  let a: Agencies;

  beforeAll(async () => {
    t = await createTestApp();
    [social, school, police] = (await Promise.all(['social', 'school', 'police'].map((u) => login(t.app, u)))) as [string, string, string];
    a = await agencies(t);
  });
  afterAll(async () => t.close());

  it('numbers each case per type and year, in order, and shows it on the case and in the list', async () => {
    const first = await createCase(t.app, social, {}, { personalIdentityNumber: pin('20110314', '301') });
    const second = await createCase(t.app, social, {}, { personalIdentityNumber: pin('20110314', '302') });
    const avh = await createCase(t.app, social, { type: 'avhoppare' }, { personalIdentityNumber: pin('19900101', '303'), guardians: [] });
    expect(first.caseNumber).toMatch(new RegExp(`^SSPF-${year}-\\d{4}$`));
    expect(serial(second.caseNumber as string)).toBe(serial(first.caseNumber as string) + 1);
    expect(avh.caseNumber).toBe(`AVH-${year}-0001`);
    const read = await t.app.inject({ url: `/api/cases/${avh.id}`, headers: bearer(social) });
    expect(read.json().caseNumber).toBe(avh.caseNumber);
    const list = (await t.app.inject({ url: '/api/cases?type=avhoppare', headers: bearer(social) })).json() as ListPage;
    expect(list.items.map((i) => i.caseNumber)).toEqual([avh.caseNumber]);
  });

  it('gives concurrent creates distinct, consecutive numbers (a counter row, not max()+1)', async () => {
    const n = 12;
    const created = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        t.app.inject({
          method: 'POST',
          url: '/api/cases',
          headers: bearer(social),
          payload: {
            type: 'avhoppare',
            area: 'Norrby',
            reason: 'Vill lämna ett kriminellt nätverk.',
            subject: { personalIdentityNumber: pin('19850101', String(400 + i)), firstName: 'Samtidig', lastName: `Nummer${i}` },
          },
        }),
      ),
    );
    expect(created.map((r) => r.statusCode)).toEqual(Array(n).fill(201));
    const serials = created.map((r) => serial(r.json().caseNumber as string)).sort((x, y) => x - y);
    expect(new Set(serials).size).toBe(n);
    expect(serials[n - 1]! - serials[0]!).toBe(n - 1);
    const { rows } = await t.sql.query("SELECT last_value FROM case_number_counter WHERE prefix = 'AVH' AND year = $1", [Number(year)]);
    expect(rows[0].last_value).toBe(serials[n - 1]);
  });

  it('never changes a number once given, and never gives it twice', async () => {
    const c = await createCase(t.app, social, {}, { personalIdentityNumber: pin('20110314', '311') });
    await expect(t.sql.query('UPDATE support_case SET case_number = $1 WHERE id = $2', [`SSPF-${year}-9999`, c.id])).rejects.toThrow(
      /never changes/,
    );
    await expect(t.sql.query("UPDATE support_case SET type = 'avhoppare', phase = 'assessment' WHERE id = $1", [c.id])).rejects.toThrow(
      /never changes/,
    );
    // A case inserted with a number of its own still gets the next one from the counter.
    const { rows } = await t.sql.query(
      `INSERT INTO support_case (id, subject_id, owner_agency_id, owner_user_id, type, area, reason, case_number)
       SELECT gen_random_uuid(), subject_id, owner_agency_id, owner_user_id, 'sspf', area, reason, $2 FROM support_case WHERE id = $1 RETURNING case_number`,
      [c.id, c.caseNumber],
    );
    expect(serial(rows[0].case_number as string)).toBe(serial(c.caseNumber as string) + 1);
  });

  it('finds a case by its number as typed (any letter case, with or without dashes), for the owner', async () => {
    const c = await createCase(t.app, social, {}, { personalIdentityNumber: pin('20110314', '321'), firstName: 'Numrerad' });
    const n = c.caseNumber as string;
    const [prefix, y, s] = n.split('-') as [string, string, string];
    for (const q of [n, n.toLowerCase(), `${prefix}${y}${s}`, `${prefix.toLowerCase()} ${y} ${Number(s)}`]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(social), payload: { q } });
      expect(res.statusCode, q).toBe(200);
      expect(
        (res.json() as ListPage).items.map((i) => i.id),
        q,
      ).toEqual([c.id]);
    }
    const get = await t.app.inject({ url: `/api/cases?q=${encodeURIComponent(n.toLowerCase())}`, headers: bearer(social) });
    expect((get.json() as ListPage).items.map((i) => i.id)).toEqual([c.id]);
    const none = await t.app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(social), payload: { q: `AVH-${y}-9999` } });
    expect((none.json() as ListPage).total).toBe(0);
  });

  it('lets a partner find by number only a case in its consented set', async () => {
    const open = await openCase(t.app, social, birthDateFor(30), { agencyIds: [a.school, a.police], serial: '331' });
    await recordConsent(t.app, social, open.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.school],
      categories: ['identity'],
    });
    const number = ((await t.app.inject({ url: `/api/cases/${open.id}`, headers: bearer(social) })).json() as { caseNumber: string })
      .caseNumber;
    const asSchool = await t.app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(school), payload: { q: number } });
    expect((asSchool.json() as ListPage).items.map((i) => [i.id, i.caseNumber])).toEqual([[open.id, number]]);
    // The police take part but the consent does not name them: the number finds nothing.
    const asPolice = await t.app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(police), payload: { q: number } });
    expect(asPolice.statusCode).toBe(200);
    expect((asPolice.json() as ListPage).items).toEqual([]);
    expect((await t.app.inject({ url: `/api/cases/${open.id}`, headers: bearer(school) })).json().caseNumber).toBe(number);
  });

  it('reads a search term as a case number only when it is one', () => {
    expect(parseCaseNumber('sspf-2026-0042')).toBe('SSPF-2026-0042');
    expect(parseCaseNumber(' AVH20260007 ')).toBe('AVH-2026-0007');
    expect(parseCaseNumber('avh 2026 7')).toBe('AVH-2026-0007');
    expect(parseCaseNumber('SSPF-2026-12345')).toBe('SSPF-2026-12345');
    expect(parseCaseNumber('Sspfsson')).toBeNull();
    expect(parseCaseNumber('20110314-2380')).toBeNull();
    expect(parseCaseNumber('SSPF-26-0042')).toBeNull();
  });
});

describe('the migration numbers existing cases in the order they were created', () => {
  it('per type and year, on the Stockholm calendar, and the counters go on from there', async () => {
    const mine = migrationsList.findIndex((m) => m.name === 'Migration20261205002330CaseNumbersResponsibility');
    const name = `samverka_t_mig_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: `${inject('pgAdminUrl')}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = `${inject('pgAdminUrl')}/${name}`;
    const orm = await initOrm(url, 2);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      await orm.getMigrator().up({ to: migrationsList[mine - 1]!.name });
      await db.query(`
        INSERT INTO agency (id, name, kind) VALUES ('00000000-0000-4000-8000-000000000001', 'Soc', 'social_services');
        INSERT INTO app_user (id, username, display_name, password_hash, agency_id, roles)
          VALUES ('00000000-0000-4000-8000-000000000002', 'sw', 'Sw', 'x', '00000000-0000-4000-8000-000000000001', '{social_worker}');
        INSERT INTO subject (id, owner_agency_id, personal_identity_number, birth_date, first_name, last_name)
          VALUES ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', '201103142380', '2011-03-14', 'A', 'B');`);
      // Inserted out of order; 2025-12-31 23:30 UTC is already 2026 in Stockholm.
      const cases: [string, string, string][] = [
        ['11', 'sspf', '2026-03-01T10:00:00Z'],
        ['12', 'sspf', '2025-12-31T23:30:00Z'],
        ['13', 'sspf', '2025-06-01T10:00:00Z'],
        ['14', 'avhoppare', '2026-02-01T10:00:00Z'],
        ['15', 'sspf', '2026-01-15T10:00:00Z'],
      ];
      for (const [id, type, at] of cases) {
        await db.query(
          `INSERT INTO support_case (id, subject_id, owner_agency_id, owner_user_id, type, phase, area, reason, created_at)
          VALUES ($1, '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', $2, $3, 'Norrby', 'x', $4)`,
          [`00000000-0000-4000-8000-0000000000${id}`, type, type === 'avhoppare' ? 'assessment' : null, at],
        );
      }
      await orm.getMigrator().up({ to: migrationsList[mine]!.name });
      const { rows } = await db.query('SELECT right(id::text, 2) AS id, case_number FROM support_case ORDER BY id');
      expect(Object.fromEntries(rows.map((r) => [r.id, r.case_number]))).toEqual({
        11: 'SSPF-2026-0003',
        12: 'SSPF-2026-0001',
        13: 'SSPF-2025-0001',
        14: 'AVH-2026-0001',
        15: 'SSPF-2026-0002',
      });
      const next = await db.query(`INSERT INTO support_case (id, subject_id, owner_agency_id, owner_user_id, type, area, reason, created_at)
        VALUES (gen_random_uuid(), '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', 'sspf', 'Norrby', 'x', '2026-05-01T10:00:00Z') RETURNING case_number`);
      expect(next.rows[0].case_number).toBe('SSPF-2026-0004');
    } finally {
      await db.end();
      await orm.close();
    }
  });
});
