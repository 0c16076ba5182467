import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, createUser, login, type TestContext } from '../helpers/app.js';
import { agencies, createCase, pin, type Agencies } from './fixtures.js';

interface Item {
  id: string;
  area: string | null;
  protectedIdentity: boolean;
  subject: { id: string; firstName: string; lastName: string };
}

describe('case lists, search and figures', () => {
  let t: TestContext;
  let social: string;
  let a: Agencies;
  const people = [
    { first: 'Elin', last: 'Andersson', born: '20110314', area: 'Norrby', type: 'sspf' },
    { first: 'Omar', last: 'Lindqvist', born: '20100502', area: 'Hulta', type: 'sspf' },
    { first: 'Sara', last: 'Berg', born: '20090911', area: 'Norrby', type: 'sspf' },
    { first: 'Mikael', last: 'Sjöberg', born: '19950707', area: 'Centrum', type: 'avhoppare' },
    { first: 'Lina', last: 'Karlsson', born: '20120101', area: 'Norrby', type: 'sspf' },
    { first: 'Noah', last: 'Eriksson', born: '20111111', area: 'Norrby', type: 'sspf' },
    { first: 'Ella', last: 'Nilsson', born: '20100606', area: 'Norrby', type: 'sspf' },
  ];
  let secretPin: string;
  let secretCaseId: string;

  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    a = await agencies(t);
    for (const p of people) {
      await createCase(
        t.app,
        social,
        { area: p.area, type: p.type, agencyIds: p.first === 'Omar' ? [a.police] : [] },
        { personalIdentityNumber: pin(p.born, '345'), firstName: p.first, lastName: p.last, guardians: [] },
      );
    }
    secretPin = pin('20100101', '567');
    const secret = await createCase(
      t.app,
      social,
      { area: 'Sjöbo', agencyIds: [a.school] },
      {
        personalIdentityNumber: secretPin,
        firstName: 'Hemlig',
        lastName: 'Person',
        protectedIdentity: 'skyddad_folkbokforing',
        address: 'Skyddad adress 1',
        phone: '0701234567',
        guardians: [],
      },
    );
    secretCaseId = secret.id;
  });
  afterAll(async () => t.close());

  const list = async (query = ''): Promise<{ items: Item[]; total: number; page: number; pageSize: number; totalIsEstimate: boolean }> => {
    const res = await t.app.inject({ url: `/api/cases${query}`, headers: bearer(social) });
    expect(res.statusCode, query).toBe(200);
    return res.json();
  };
  const search = async (body: Record<string, unknown>): Promise<{ items: Item[]; total: number }> => {
    const res = await t.app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(social), payload: body });
    expect(res.statusCode, JSON.stringify(body)).toBe(200);
    return res.json();
  };

  it("lists the agency's cases newest first, paginated", async () => {
    const all = await list();
    expect(all.total).toBe(8);
    expect(all.items[0]!.subject.firstName).toBe('Hemlig');
    const p1 = await list('?pageSize=3');
    const p3 = await list('?pageSize=3&page=3');
    expect(p1).toMatchObject({ total: 8, page: 1, pageSize: 3 });
    expect(p1.items).toHaveLength(3);
    expect(p3.items).toHaveLength(2);
    expect(new Set([...p1.items, ...(await list('?pageSize=3&page=2')).items, ...p3.items].map((i) => i.id)).size).toBe(8);
    expect((await t.app.inject({ url: '/api/cases?pageSize=500', headers: bearer(social) })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/cases?status=archived', headers: bearer(social) })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/cases?area=Atlantis', headers: bearer(social) })).statusCode).toBe(400);
    expect((await t.app.inject({ url: '/api/cases?owner=someone', headers: bearer(social) })).statusCode).toBe(400);
    expect(all.totalIsEstimate).toBe(false);
  });

  it('filters by status, type, area and participating agency', async () => {
    expect((await list('?type=avhoppare')).items.map((i) => i.subject.firstName)).toEqual(['Mikael']);
    expect((await list('?area=Norrby')).total).toBe(5);
    expect((await list('?area=Norrby&type=sspf&status=open')).total).toBe(5);
    expect((await list('?status=closed')).total).toBe(0);
    expect((await list(`?agencyId=${a.police}`)).items.map((i) => i.subject.firstName)).toEqual(['Omar']);
  });

  it('searches by part of a name, case-insensitively, in GET and POST; several words narrow the result', async () => {
    expect((await list('?q=lind')).items.map((i) => i.subject.lastName)).toEqual(['Lindqvist']);
    expect((await search({ q: 'ELIN' })).items.map((i) => i.subject.firstName)).toEqual(['Elin']);
    expect((await search({ q: 'berg' })).items.map((i) => i.subject.lastName).sort()).toEqual(['Berg', 'Sjöberg']);
    expect((await search({ q: 'sara berg' })).items.map((i) => i.subject.firstName)).toEqual(['Sara']);
    expect((await search({ q: 'sson', area: 'Norrby' })).total).toBe(4);
    expect((await search({ q: '%' })).total).toBe(0);
    expect((await search({ q: 'nobody' })).total).toBe(0);
  });

  it('searches by exact personnummer in every accepted form', async () => {
    const p = pin('20100502', '345'); // Omar
    const short = p.slice(2);
    for (const form of [p, `${p.slice(0, 8)}-${p.slice(8)}`, short, `${short.slice(0, 6)}-${short.slice(6)}`]) {
      const r = await search({ q: form });
      expect(
        r.items.map((i) => i.subject.firstName),
        form,
      ).toEqual(['Omar']);
    }
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/cases/search',
      headers: bearer(social),
      payload: { q: `${p.slice(0, 8)}-${p.slice(8, 11)}${(Number(p[11]) + 1) % 10}` },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('20100502');
  });

  it('search bodies are strict and audited without the query', async () => {
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(social), payload: { q: 'x', sql: 1 } })).statusCode,
    ).toBe(400);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(social), payload: { q: 'x', page: '2' } }))
        .statusCode,
    ).toBe(400);
    await search({ q: 'Lindqvist' });
    const { rows } = await t.sql.query("SELECT * FROM audit_queue WHERE action = 'case.search'");
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toMatch(/Lindqvist|Omar/);
    expect(rows.some((r) => r.case_id !== null && r.subject_id !== null)).toBe(true);
  });

  it('a listed page writes one audit event per listed case (its person, the request), and an empty page one event without a resource', async () => {
    const page = await list('?pageSize=3');
    expect(page.items).toHaveLength(3);
    const { rows } = await t.sql.query(`SELECT event_id, resource_id, case_id, subject_id, actor_id, request_id, outcome FROM audit_queue
      WHERE action = 'case.list' AND request_id = (SELECT request_id FROM audit_queue WHERE action = 'case.list' ORDER BY id DESC LIMIT 1)`);
    expect(rows.map((r) => r.case_id).sort()).toEqual(page.items.map((i) => i.id).sort());
    for (const r of rows) {
      expect(r.resource_id).toBe(r.case_id);
      expect(r.subject_id).toBe(page.items.find((i) => i.id === r.case_id)!.subject.id);
      expect(r.outcome).toBe('allowed');
      expect(r.actor_id).not.toBeNull();
    }
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(3);
    const empty = await search({ q: 'Ingenfinnssonsson' });
    expect(empty.items).toHaveLength(0);
    const { rows: none } = await t.sql.query(`SELECT resource_id, case_id, subject_id FROM audit_queue
      WHERE action = 'case.search' AND request_id = (SELECT request_id FROM audit_queue WHERE action = 'case.search' ORDER BY id DESC LIMIT 1)`);
    expect(none).toEqual([{ resource_id: null, case_id: null, subject_id: null }]);
  });

  it('protected identity: the case is marked, but no area or contact details appear in lists or search results, and area/agency filters never match it', async () => {
    const all = await list();
    const secret = all.items.find((i) => i.id === secretCaseId)!;
    expect(secret.protectedIdentity).toBe(true);
    expect(secret.area).toBeNull();
    expect(Object.keys(secret).sort()).toEqual([
      'area',
      'caseNumber',
      'closedAt',
      'createdAt',
      'deputyUserId',
      'id',
      'ownerUserId',
      'phase',
      'protectedIdentity',
      'responsibleUserId',
      'status',
      'subject',
      'type',
      'updatedAt',
    ]);
    expect(Object.keys(secret.subject).sort()).toEqual(['birthDate', 'firstName', 'id', 'lastName']);
    expect(all.items.filter((i) => i.id !== secretCaseId).every((i) => i.protectedIdentity === false && i.area !== null)).toBe(true);
    const found = await search({ q: secretPin });
    expect(found.items).toHaveLength(1);
    const body = JSON.stringify(found);
    expect(body).not.toContain('Sjöbo');
    expect(body).not.toContain('Skyddad adress');
    expect(body).not.toContain('0701234567');
    expect((await list('?area=Sj%C3%B6bo')).total).toBe(0);
    expect((await list(`?agencyId=${a.school}`)).total).toBe(0);
    // The owning unit still sees everything on the case itself.
    const full = (await t.app.inject({ url: `/api/cases/${secretCaseId}`, headers: bearer(social) })).json();
    expect(full).toMatchObject({ area: 'Sjöbo', subject: { address: 'Skyddad adress 1', protectedIdentity: 'skyddad_folkbokforing' } });
  });

  it("owner=me lists only the caller's own cases (list and search); `mine` counts them in the figures", async () => {
    // Another social worker of the same agency opens a case: the agency's, not mine.
    const admin = await login(t.app, 'admin');
    await createUser(
      t.app,
      admin,
      { username: 'colleague', displayName: 'Kim Kollega', password: 'kim-kollegans-lösen', agencyId: a.social, roles: ['social_worker'] },
      { approver: await login(t.app, 'admin2') },
    );
    const colleague = await login(t.app, 'colleague', 'kim-kollegans-lösen');
    const theirs = await createCase(
      t.app,
      colleague,
      { area: 'Hulta' },
      { personalIdentityNumber: pin('20080808', '345'), firstName: 'Kollegans', lastName: 'Ärende', guardians: [] },
    );
    expect((await list()).total).toBe(9);
    const mine = await list('?owner=me');
    expect(mine.total).toBe(8);
    expect(mine.items.map((i) => i.id)).not.toContain(theirs.id);
    expect((await search({ q: 'Kollegans' })).total).toBe(1);
    expect((await search({ q: 'Kollegans', owner: 'me' })).total).toBe(0);
    expect((await search({ q: 'berg', owner: 'me' })).total).toBe(2);
    const stats = (await t.app.inject({ url: '/api/cases/stats', headers: bearer(social) })).json();
    expect(stats).toMatchObject({ total: 9, mine: 8 });
    const theirStats = (await t.app.inject({ url: '/api/cases/stats', headers: bearer(colleague) })).json();
    expect(theirStats).toMatchObject({ total: 9, mine: 1 });
    const theirList = (await t.app.inject({ url: '/api/cases?owner=me', headers: bearer(colleague) })).json();
    expect(theirList.items.map((i: Item) => i.id)).toEqual([theirs.id]);
    // Close it again for the figures below (they count the original eight).
    await t.sql.query('DELETE FROM case_participant WHERE case_id = $1', [theirs.id]);
    await t.sql.query('DELETE FROM support_case WHERE id = $1', [theirs.id]);
  });

  it('agency figures and group figures carry no identities; small cells are suppressed; protected cases have no area', async () => {
    const stats = await t.app.inject({ url: '/api/cases/stats', headers: bearer(social) });
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({ total: 8, byStatus: { open: 8, active: 0, closed: 0 }, byType: { sspf: 7, avhoppare: 1 } });
    const coordinator = await login(t.app, 'coordinator');
    const groups = await t.app.inject({ url: '/api/stats/groups', headers: bearer(coordinator) });
    expect(groups.statusCode).toBe(200);
    const g = groups.json();
    expect(g.minCellSize).toBe(5);
    // Hulta and the protected row hold one open case each: beside the agency's 7 open sspf cases
    // (GET /api/cases/stats), Norrby's 5 would give both away (7 − 5 = 1 + 1), so it is withheld too.
    expect(g.cells).toContainEqual({ area: 'Norrby', type: 'sspf', status: 'open', count: null, suppressed: true });
    expect(g.cells).toContainEqual({ area: 'Hulta', type: 'sspf', status: 'open', count: null, suppressed: true });
    expect(g.cells).toContainEqual({ area: null, type: 'sspf', status: 'open', count: null, suppressed: true });
    expect(g.cells.some((c: { area: string | null }) => c.area === 'Sjöbo')).toBe(false);
    const text = JSON.stringify([stats.json(), g]);
    for (const p of people) expect(text).not.toContain(p.last);
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('a name search counts at most 100 matches, a filtered list 1000 (totalIsEstimate); the unfiltered total stays exact', async () => {
    const {
      rows: [u],
    } = await t.sql.query("SELECT id, agency_id FROM app_user WHERE username = 'social'");
    await t.sql.query(
      `
      WITH g AS (SELECT i, gen_random_uuid() AS sid FROM generate_series(1, 1005) i),
      s AS (INSERT INTO subject (id, owner_agency_id, personal_identity_number, birth_date, first_name, last_name)
            SELECT sid, $1, '2010' || lpad(i::text, 8, '0'), date '2010-01-01', 'Massa', 'Testsson' FROM g RETURNING id)
      INSERT INTO support_case (id, subject_id, owner_agency_id, owner_user_id, type, status, area, reason)
      SELECT gen_random_uuid(), id, $1, $2, 'sspf', 'open', 'Hulta', 'Massinläsning' FROM s`,
      [u.agency_id, u.id],
    );
    const found = await search({ q: 'massa' });
    expect(found).toMatchObject({ total: 100, totalIsEstimate: true });
    expect(found.items).toHaveLength(20);
    expect(await list('?area=Hulta')).toMatchObject({ total: 1000, totalIsEstimate: true });
    // A page must start within the count's cap (bounded work per request): past it, narrow the search.
    const last = await search({ q: 'massa', pageSize: 5, page: 20 });
    expect(last.items).toHaveLength(5);
    expect(new Set([...last.items, ...found.items].map((i) => i.id)).size).toBe(25);
    const far = await t.app.inject({
      method: 'POST',
      url: '/api/cases/search',
      headers: bearer(social),
      payload: { q: 'massa', pageSize: 5, page: 21 },
    });
    expect(far.statusCode).toBe(400);
    expect(far.json().type).toBe('urn:samverka:problem:page_out_of_range');
    const exactly100 = await search({ q: 'massa', pageSize: 100 });
    expect(exactly100.items).toHaveLength(100);
    expect(await list()).toMatchObject({ total: 1013, totalIsEstimate: false });
    expect(await list('?status=open&type=sspf')).toMatchObject({ total: 1012, totalIsEstimate: false });
    expect(await search({ q: 'lindqvist' })).toMatchObject({ total: 1, totalIsEstimate: false });
  });
});
