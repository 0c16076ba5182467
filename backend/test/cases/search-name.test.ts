import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { sql } from '../../src/db/sql.js';
import { CHOSEN_PAGE_SQL } from '../../src/modules/cases/cases.sql.js';
import { createCase, pin } from './fixtures.js';

/** The case's copy of its subject's name (what name search reads) follows the subject. */
describe("name search reads the case's copy of the subject's name", () => {
  let t: TestContext;
  let social: string;
  let first: { id: string; subject: { id: string } };
  let second: { id: string };

  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    first = await createCase(
      t.app,
      social,
      { type: 'sspf' },
      { personalIdentityNumber: pin('20100203', '456'), firstName: 'Tove', lastName: 'Ahlström', guardians: [] },
    );
    // A second case for the same person (an avhoppare case after the SSPF one).
    second = await createCase(
      t.app,
      social,
      { type: 'avhoppare' },
      { personalIdentityNumber: pin('20100203', '456'), firstName: 'Tove', lastName: 'Ahlström', guardians: [] },
    );
  });
  afterAll(async () => t?.close());

  const found = async (q: string): Promise<string[]> => {
    const res = await t.app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(social), payload: { q } });
    expect(res.statusCode).toBe(200);
    return (res.json() as { items: { id: string }[] }).items.map((i) => i.id).sort();
  };

  it('is set when a case is written, for every case of the person', async () => {
    expect(await found('ahlstr')).toEqual([first.id, second.id].sort());
    const { rows } = await t.sql.query('SELECT DISTINCT search_name FROM support_case WHERE subject_id = $1', [first.subject.id]);
    expect(rows).toEqual([{ search_name: 'tove ahlström' }]);
  });

  it("follows a change of the subject's name, in every case of the person", async () => {
    await t.sql.query("UPDATE subject SET last_name = 'Berglund' WHERE id = $1", [first.subject.id]);
    expect(await found('ahlstr')).toEqual([]);
    expect(await found('berglund')).toEqual([first.id, second.id].sort());
  });

  it('cannot be set apart from the subject by writing the case', async () => {
    await t.sql.query("UPDATE support_case SET search_name = 'someone else' WHERE id = $1", [first.id]);
    expect(await found('someone')).toEqual([]);
    expect(await found('berglund')).toEqual([first.id, second.id].sort());
  });

  it("a page chosen for one agency shows none of the cases that stopped being that agency's in between, and audits none of them", async () => {
    const {
      rows: [me],
    } = await t.sql.query("SELECT id, agency_id FROM app_user WHERE username = 'social'");
    const {
      rows: [other],
    } = await t.sql.query('SELECT id FROM agency WHERE id <> $1 LIMIT 1', [me.agency_id]);
    const { rows: cases } = await t.sql.query(
      'SELECT id, subject_id FROM support_case WHERE id = ANY($1::uuid[]) ORDER BY created_at DESC',
      [[first.id, second.id]],
    );
    await t.sql.query('UPDATE support_case SET owner_agency_id = $1 WHERE id = $2', [other.id, second.id]);
    try {
      const ctx = { actorId: me.id, actorAgencyId: me.agency_id, actorRole: 'social_worker', requestId: 'moved-between', clientIp: null };
      const audit = t.app.audit.perRowStatement(ctx, { action: 'case.search', resourceType: 'case', outcome: 'allowed' }, 'p', 20);
      const em = t.app.orm.em.fork();
      const [row] = await sql<{ rows: { id: string }[] }>(em, CHOSEN_PAGE_SQL(audit.text), [
        `{${cases.map((c) => c.id).join(',')}}`,
        `{${cases.map((c) => c.subject_id).join(',')}}`,
        me.agency_id,
        ...audit.params,
      ]);
      expect(row!.rows.map((r) => r.id)).toEqual([first.id]);
      const { rows: events } = await t.sql.query("SELECT case_id FROM audit_queue WHERE request_id = 'moved-between'");
      expect(events).toEqual([{ case_id: first.id }]);
    } finally {
      await t.sql.query('UPDATE support_case SET owner_agency_id = $1 WHERE id = $2', [me.agency_id, second.id]);
    }
  });
});
