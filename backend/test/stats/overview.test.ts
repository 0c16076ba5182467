import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { count, createCase, deniedCount, pin } from '../cases/fixtures.js';
import { areasOf, groupFigures, type GroupCell, type GroupRow } from '../../src/modules/stats/groups.js';
import type { Overview } from '../../src/modules/stats/stats.service.js';
import { GROUP_CELLS_SQL } from '../../src/modules/stats/stats.sql.js';
import { leaks } from './union-leaks.js';

/**
 * GET /api/stats/overview and its CSV: group-level figures with no identities, every table
 * suppressed with its totals (threshold 5 in policies/areas.yaml), cases of people with protected
 * identity counted under no area. The seeded cases make every figure below exact.
 */

const PERIOD = '?from=2026-01-01&to=2026-03-31';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe('group-level figures (GET /api/stats/overview)', () => {
  let t: TestContext;
  let social: string;
  let coordinator: string;
  let school: string;
  let auditor: string;
  const norrby: string[] = [];

  const get = (token: string | null, url: string) => t.app.inject({ url, headers: token ? bearer(token) : {} });
  const at = async (id: string, created: string, closed?: string): Promise<void> => {
    await t.sql.query(
      closed
        ? `UPDATE support_case SET created_at = $2, status = 'closed', closed_at = $3, outcome = 'Avslutat.', outcome_code = 'goals_met' WHERE id = $1`
        : 'UPDATE support_case SET created_at = $2 WHERE id = $1',
      closed ? [id, created, closed] : [id, created],
    );
  };

  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    coordinator = await login(t.app, 'coordinator');
    school = await login(t.app, 'school');
    auditor = await login(t.app, 'auditor');
    const newCase = async (n: number, area: string, subject: Record<string, unknown> = {}) =>
      (await createCase(t.app, social, { area }, { personalIdentityNumber: pin(`201103${10 + n}`, '238'), ...subject })).id;

    // Norrby: six opened in January, five of them closed in March (goals met), one still open.
    for (let n = 0; n < 6; n++) {
      const id = await newCase(n, 'Norrby');
      norrby.push(id);
      await at(id, '2026-01-15T10:00:00Z', n < 5 ? '2026-03-10T10:00:00Z' : undefined);
    }
    // Hulta: two opened in February, open.
    for (let n = 6; n < 8; n++) await at(await newCase(n, 'Hulta'), '2026-02-10T10:00:00Z');
    // A person with protected identity in Norrby: counted under no area.
    await at(await newCase(8, 'Norrby', { protectedIdentity: 'skyddad_folkbokforing' }), '2026-01-20T10:00:00Z');
    // Before and after the period: active at its end, and not counted at all.
    await at(await newCase(9, 'Norrby'), '2025-12-01T10:00:00Z');
    await at(await newCase(10, 'Norrby'), '2026-04-05T10:00:00Z');

    // First plan items 1, 2, 3, 4 and 10 days after five of the Norrby cases opened: median 3.
    const { rows } = await t.sql.query<{ id: string; agency_id: string }>("SELECT id, agency_id FROM app_user WHERE username = 'social'");
    const user = rows[0]!;
    for (const [i, days] of [1, 2, 3, 4, 10].entries()) {
      await t.sql.query(
        `INSERT INTO plan_item (id, case_id, author_user_id, author_agency_id, responsible_agency_id, life_area, goal, action, created_at)
         VALUES ($1, $2, $3, $4, $4, 'school', 'Mål', 'Insats', $5::timestamptz)`,
        [randomUUID(), norrby[i], user.id, user.agency_id, new Date(Date.parse('2026-01-15T10:00:00Z') + days * 86_400_000).toISOString()],
      );
    }

    // Concerns: five in Norrby that became those cases 1, 2, 3, 4 and 10 days later (median 3),
    // one in Hulta still in the intake, one about the protected person closed without action.
    const concern = (area: string, created: string, extra: { decision?: string; caseId?: string; pin?: string }) =>
      t.sql.query(
        `INSERT INTO concern (id, reporter_user_id, reporter_agency_id, area, personal_identity_number, first_name, last_name,
           birth_date, observation, observed_on, observed_place, assessment, guardians_informed, urgency, urgency_rank,
           status, decision, decision_reason, case_id, created_at)
         SELECT $1::uuid, u.id, u.agency_id, $2::text, $3::text, CASE WHEN $3::text IS NULL THEN 'Kim' END, CASE WHEN $3::text IS NULL THEN 'Oro' END,
           '2011-01-01', 'Iakttagelse', '2026-01-01', 'Skolan', 'Bedömning', true, 'normal', 2,
           CASE WHEN $4::text IS NULL THEN 'received' ELSE 'closed' END, $4::text, CASE WHEN $4::text IS NULL THEN NULL ELSE 'Beslut' END, $5::uuid, $6::timestamptz
         FROM app_user u WHERE u.username = 'school'`,
        [randomUUID(), area, extra.pin ?? null, extra.decision ?? null, extra.caseId ?? null, created],
      );
    for (const [i, days] of [1, 2, 3, 4, 10].entries()) {
      await concern('Norrby', new Date(Date.parse('2026-01-15T10:00:00Z') - days * 86_400_000).toISOString(), {
        decision: 'open_case',
        caseId: norrby[i],
      });
    }
    await concern('Hulta', '2026-02-01T10:00:00Z', {});
    await concern('Norrby', '2026-02-02T10:00:00Z', { decision: 'no_action', pin: pin('20110318', '238') });
  });
  afterAll(async () => t.close());

  it('requires authentication', async () => {
    expect((await get(null, `/api/stats/overview${PERIOD}`)).statusCode).toBe(401);
    expect((await get(null, `/api/stats/overview.csv${PERIOD}`)).statusCode).toBe(401);
  });

  it('refuses partners and the auditor with 403, and audits each denial', async () => {
    for (const [token, url] of [
      [school, '/api/stats/overview'],
      [auditor, '/api/stats/overview'],
      [school, '/api/stats/overview.csv'],
    ] as const) {
      const before = await deniedCount(t);
      const res = await get(token, url + PERIOD);
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(await deniedCount(t)).toBe(before + 1);
      expect(await count(t, 'audit_queue', "action = 'stats.overview.read' AND outcome = 'denied'")).toBeGreaterThan(0);
    }
  });

  it.each([
    ['?from=2026-03-01&to=2026-01-31', 'period_reversed'],
    ['?from=2020-01-01&to=2025-01-01', 'period_too_long'],
    ['?from=2026-02-30&to=2026-03-31', 'invalid_date'],
    ['?from=2026-01-01&to=2026-13-01', 'invalid_date'],
  ])('answers 400 to %s (%s), naming what to do', async (query, code) => {
    for (const path of ['/api/stats/overview', '/api/stats/overview.csv']) {
      const res = await get(coordinator, path + query);
      expect(res.statusCode).toBe(400);
      const body = res.json<{ type: string; detail: string }>();
      expect(body.type).toContain(code);
      expect(body.detail).toMatch(/choose|write it as/);
    }
  });

  it('answers 400 to a date that is not YYYY-MM-DD and to an unknown parameter', async () => {
    for (const query of ['?from=1%2F1%2F2026', '?to=yesterday', '?area=Norrby']) {
      expect((await get(coordinator, `/api/stats/overview${query}`)).statusCode).toBe(400);
    }
  });

  it('gives the coordinator exact figures, small cells and their complements withheld, audited', async () => {
    const before = await count(t, 'audit_queue', "action = 'stats.overview.read' AND outcome = 'allowed'");
    const res = await get(coordinator, `/api/stats/overview${PERIOD}`);
    expect(res.statusCode).toBe(200);
    expect(await count(t, 'audit_queue', "action = 'stats.overview.read' AND outcome = 'allowed'")).toBe(before + 1);
    expect(res.body).not.toMatch(UUID);
    const o = res.json();
    expect(o).toMatchObject({ from: '2026-01-01', to: '2026-03-31', minCellSize: 5, months: ['2026-01', '2026-02', '2026-03'] });
    type Row = { area?: string | null; type?: string; code?: string; cells: (number | null)[]; total: number | null };
    const row = (rows: Row[], key: Partial<Row>): Row => rows.find((r) => Object.entries(key).every(([k, v]) => r[k as keyof Row] === v))!;

    // New cases: Hulta's 2 (February) and the protected person's 1 (January) are small; January's
    // column total (7) would give the latter away from Norrby's 6, so it is withheld too, and
    // February's total (2) is small itself. The grand total stays: 9 − 6 = 3 splits two ways.
    const nc = o.newCases;
    expect(row(nc.rows, { area: 'Norrby', type: 'sspf' })).toMatchObject({ cells: [6, 0, 0], total: 6 });
    expect(row(nc.rows, { area: 'Hulta', type: 'sspf' })).toMatchObject({ cells: [0, null, 0], total: null });
    expect(row(nc.rows, { area: null, type: 'sspf' })).toMatchObject({ cells: [null, 0, 0], total: null });
    expect(row(nc.rows, { area: 'Sjöbo', type: 'avhoppare' })).toMatchObject({ cells: [0, 0, 0], total: 0 });
    expect(nc.columnTotals).toEqual([null, null, 0]);
    expect(nc.total).toBe(9);
    expect(nc.rows).toHaveLength(14 * 2);

    // Closed: five in March, goals met; nothing small.
    expect(row(o.closedCases.rows, { area: 'Norrby', type: 'sspf' })).toMatchObject({ cells: [0, 0, 5], total: 5 });
    expect(o.closedCases.total).toBe(5);
    expect(o.outcomes.columns).toEqual(['sspf', 'avhoppare']);
    expect(row(o.outcomes.rows, { code: 'goals_met' })).toMatchObject({ cells: [5, 0], total: 5 });
    expect(o.outcomes.total).toBe(5);

    // Active at 31 March: Norrby 2 (one of January's and December's), Hulta 2, protected 1 —
    // every one small, so their cells and row totals are withheld; the sums over areas stay.
    const ac = o.activeCases;
    for (const area of ['Norrby', 'Hulta', null]) expect(row(ac.rows, { area })).toMatchObject({ cells: [null, 0], total: null });
    expect(ac.columnTotals).toEqual([5, 0]);
    expect(ac.total).toBe(5);

    // Concerns: the protected person's under no area although reported in Norrby.
    const cc = o.concerns;
    expect(cc.columns).toEqual(['not_decided', 'link', 'open_case', 'no_action']);
    expect(row(cc.rows, { area: 'Norrby' })).toMatchObject({ cells: [0, 0, 5, 0], total: 5 });
    expect(row(cc.rows, { area: 'Hulta' })).toMatchObject({ cells: [null, 0, 0, 0], total: null });
    expect(row(cc.rows, { area: null })).toMatchObject({ cells: [0, 0, 0, null], total: null });
    expect(cc.columnTotals).toEqual([null, 0, 5, null]);
    expect(cc.total).toBe(7);

    expect(o.medians).toEqual({ concernToCase: { days: 3, count: 5 }, caseToFirstPlan: { days: 3, count: 5 } });
  });

  it('never counts a protected person under an area: not in the area rows, not in the sums over them', async () => {
    const o = (await get(coordinator, `/api/stats/overview${PERIOD}`)).json();
    // Reported and opened in Norrby; Norrby's January shows the six others only.
    const norrbyRow = o.newCases.rows.find((r: { area: string | null; type: string }) => r.area === 'Norrby' && r.type === 'sspf');
    expect(norrbyRow.cells[0]).toBe(6);
    expect(o.concerns.rows.find((r: { area: string | null }) => r.area === 'Norrby').total).toBe(5);
  });

  it('withholds the lead time when fewer than five cases make it', async () => {
    const o = (await get(coordinator, '/api/stats/overview?from=2026-01-01&to=2026-01-31')).json();
    // Both medians rest on the same five; January alone still has them all.
    expect(o.medians.caseToFirstPlan).toEqual({ days: 3, count: 5 });
    const none = (await get(coordinator, '/api/stats/overview?from=2025-12-01&to=2025-12-31')).json();
    expect(none.medians).toEqual({ concernToCase: { days: null, count: 0 }, caseToFirstPlan: { days: null, count: 0 } });
    expect(none.newCases.total).toBeNull();
  });

  it('ending today, suppresses its active cases in one pass with GET /api/stats/groups: together they give nothing away', async () => {
    const [overview, groups] = await Promise.all([
      get(coordinator, '/api/stats/overview').then((r) => r.json<Overview>()),
      get(coordinator, '/api/stats/groups').then((r) => r.json<{ minCellSize: number; cells: GroupCell[] }>()),
    ]);
    const { rows } = await t.sql.query<GroupRow>(GROUP_CELLS_SQL);
    const shared = groupFigures(
      rows,
      areasOf(
        t.app.policy.policies.areas.areas,
        rows.map((r) => r.area),
      ),
      groups.minCellSize,
    );
    expect(overview.activeCases).toEqual(shared.active);
    expect(groups.cells).toEqual(shared.cells);
    expect(groups.cells.some((c) => c.count === null)).toBe(true);
    expect(leaks(groups.cells, overview.activeCases)).toEqual([]);
  });

  it('lets social services read the figures too', async () => {
    expect((await get(social, `/api/stats/overview${PERIOD}`)).statusCode).toBe(200);
  });

  it('exports the same figures as CSV for Excel: BOM, semicolons, withheld as –, no ids, audited', async () => {
    const before = await count(t, 'audit_queue', "action = 'stats.overview.csv' AND outcome = 'allowed'");
    const res = await get(coordinator, `/api/stats/overview.csv${PERIOD}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toContain('samverka-figures-2026-01-01-2026-03-31.csv');
    expect(await count(t, 'audit_queue', "action = 'stats.overview.csv' AND outcome = 'allowed'")).toBe(before + 1);
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = res.body.replace(/^\uFEFF/, '').split('\r\n');
    expect(res.body).not.toMatch(UUID);
    expect(lines).toContain('"new_cases";"area";"type";"2026-01";"2026-02";"2026-03";"total"');
    expect(lines).toContain('"";"Norrby";"sspf";"6";"0";"0";"6"');
    expect(lines).toContain('"";"Hulta";"sspf";"0";"–";"0";"–"');
    expect(lines).toContain('"";"(protected identity)";"sspf";"–";"0";"0";"–"');
    expect(lines).toContain('"";"total";"";"–";"–";"0";"9"');
    expect(lines).toContain('"concern_to_case";"3";"5"');
  });
});
