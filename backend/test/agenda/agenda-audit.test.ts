import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDITED_IN_STATEMENT } from '../../src/modules/agenda/agenda.sql.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { daysFromToday } from '../consents/fixtures.js';

/**
 * The owning unit's start page writes its audit events in its own statement, for up to
 * AUDITED_IN_STATEMENT cases; the service writes the rest. Either way: one event per case shown.
 */
describe('GET /api/me/agenda of a caseworker with more cases than its statement audits', () => {
  let t: TestContext;
  let social: string;
  const CASES = AUDITED_IN_STATEMENT + 7;

  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    const {
      rows: [me],
    } = await t.sql.query<{ id: string; agency_id: string }>("SELECT id, agency_id FROM app_user WHERE username = 'social'");
    // Made in bulk: through the API this many cases would take most of the test's time.
    await t.sql.query(
      `INSERT INTO subject (id, owner_agency_id, personal_identity_number, birth_date, first_name, last_name)
       SELECT md5('agenda-s' || n)::uuid, $1, '1991' || lpad(n::text, 8, '0'), date '1991-01-01', 'Zqförnamn' || n, 'Zqefternamn'
       FROM generate_series(1, $2::int) n`,
      [me!.agency_id, CASES],
    );
    await t.sql.query(
      `INSERT INTO support_case (id, subject_id, owner_agency_id, owner_user_id, type, area, reason)
       SELECT md5('agenda-c' || n)::uuid, md5('agenda-s' || n)::uuid, $1, $2, 'sspf', 'Norrby', 'Oro' FROM generate_series(1, $3::int) n`,
      [me!.agency_id, me!.id, CASES],
    );
    await t.sql.query(
      `INSERT INTO plan_item (id, case_id, author_user_id, author_agency_id, responsible_agency_id, life_area, goal, action, due_date)
       SELECT md5('agenda-p' || n)::uuid, md5('agenda-c' || n)::uuid, $1, $2, $2, 'school', 'Mål', 'Zqinsats ' || n, $3::date
       FROM generate_series(1, $4::int) n`,
      [me!.id, me!.agency_id, daysFromToday(1), CASES],
    );
  });
  afterAll(async () => t.close());

  it('shows every case and audits each exactly once, before the answer leaves', async () => {
    const res = await t.app.inject({ url: '/api/me/agenda', headers: bearer(social) });
    expect(res.statusCode, res.body).toBe(200);
    const shown = [...new Set((res.json().planActions as { caseId: string }[]).map((p) => p.caseId))].sort();
    expect(shown).toHaveLength(CASES);
    const { rows } = await t.sql.query<{ case_id: string; subject_id: string; resource_type: string; n: number }>(
      `SELECT case_id, subject_id, resource_type, count(*)::int AS n FROM audit_queue
       WHERE request_id = $1 AND action = 'agenda.read' AND outcome = 'allowed' GROUP BY 1, 2, 3 ORDER BY 1`,
      [res.headers['x-request-id']],
    );
    expect(rows.map((r) => r.case_id)).toEqual(shown);
    expect(rows.every((r) => r.n === 1 && r.resource_type === 'case' && r.subject_id !== null)).toBe(true);
  });
});
