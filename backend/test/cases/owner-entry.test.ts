import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.js';
import { auditContextOf } from '../../src/plugins/app/audit.js';
import { OWNER_ENTRY_SQL } from '../../src/modules/cases/cases.sql.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { count, createCase } from './fixtures.js';

/**
 * The owner's new entry is one statement after the decision (CasesService.ownerEntry). It must
 * write nothing — neither entry nor audit event — when what the decision relied on no longer
 * holds by the time it runs (the case closed, or not the owner's), so that the caller falls
 * back to the general path, which answers 409 / 404 and audits it.
 */
describe('owner entry statement', () => {
  let t: TestContext;
  let social: string;
  let me: { id: string; agencyId: string };
  let caseId: string;

  beforeAll(async () => {
    t = await createTestApp();
    social = await login(t.app, 'social');
    me = (await t.app.inject({ url: '/api/me', headers: bearer(social) })).json();
    caseId = (await createCase(t.app, social)).id;
  });
  afterAll(async () => t?.close());

  const run = async (ownerAgencyId: string): Promise<unknown[]> => {
    const id = randomUUID();
    const ctx = auditContextOf({ actor: null, id: 'req-test', ip: '127.0.0.1', headers: {} } as never);
    const audit = t.app.audit.insertStatement(
      ctx,
      [{ action: 'entry.create', resourceType: 'journal_entry', resourceId: id, caseId, outcome: 'allowed' }],
      'EXISTS (SELECT 1 FROM e)',
    );
    return sql(t.orm.em.fork(), OWNER_ENTRY_SQL(audit.text), [
      caseId,
      ownerAgencyId,
      id,
      me.id,
      me.agencyId,
      'social',
      'Anteckning.',
      ...audit.params,
    ]);
  };
  const entries = (): Promise<number> => count(t, 'journal_entry', 'case_id = $1', [caseId]);
  const events = (): Promise<number> => count(t, 'audit_queue', "action = 'entry.create' AND case_id = $1", [caseId]);

  it("writes the entry and its audit event together when the case is still the owner's and open", async () => {
    expect(await run(me.agencyId)).toHaveLength(1);
    expect([await entries(), await events()]).toEqual([1, 1]);
  });

  it("writes neither when the case is not that agency's", async () => {
    expect(await run(randomUUID())).toEqual([]);
    expect([await entries(), await events()]).toEqual([1, 1]);
  });

  it('writes neither when the case has been closed in between; the route then answers 409', async () => {
    await t.sql.query("UPDATE support_case SET status = 'closed', outcome = 'Avslutat.', closed_at = now() WHERE id = $1", [caseId]);
    expect(await run(me.agencyId)).toEqual([]);
    expect([await entries(), await events()]).toEqual([1, 1]);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/entries`,
      headers: bearer(social),
      payload: { category: 'social', text: 'Sent.' },
    });
    expect(res.statusCode).toBe(409);
    expect(await entries()).toBe(1);
  });
});
