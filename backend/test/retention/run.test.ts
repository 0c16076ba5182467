import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.js';
import { RetentionJob } from '../../src/modules/retention/retention.job.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { sequencer } from '../audit/helpers.js';
import { seedCase, seedConcern, staff, type SeededCase, type Staff } from './fixtures.js';

const CONTENT = ['journal_entry', 'plan_item', 'meeting', 'document', 'case_outcome_event', 'case_participant', 'consent'] as const;

/**
 * A retention run on seeded old cases, as the API's own database role: it erases exactly what
 * policies/retention.yaml says, audits each erasure, and leaves the audit trail verifying.
 */
describe('retention run', () => {
  let t: TestContext;
  let s: Staff;
  let auditor: string;
  let social: string;
  let old: SeededCase; // closed six years ago, born on the 3rd: erased
  let research: SeededCase; // closed six years ago, born on the 15th: kept by the exception
  let open: SeededCase; // open, untouched for eight years: never erased
  let recent: SeededCase; // closed a year ago: not due
  let lateEntry: SeededCase; // closed six years ago, but an entry two years ago: not due
  let sibling: SeededCase; // closed six years ago, same subject as the open case: erased, subject kept
  let oldConcern: string;
  let recentConcern: string;
  let linkedConcern: string;
  const n = async (table: string, where: string, params: unknown[]): Promise<number> =>
    (await t.sql.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params)).rows[0].n as number;
  const caseRows = async (c: SeededCase): Promise<number> => {
    let total = await n('support_case', 'id = $1', [c.id]);
    for (const table of CONTENT) total += await n(table, 'case_id = $1', [c.id]);
    return total;
  };

  beforeAll(async () => {
    t = await createTestApp({ DB_ROLE: 'samverka_app' });
    s = await staff(t);
    auditor = await login(t.app, 'auditor');
    social = await login(t.app, 'social');
    old = await seedCase(t, s, { birthDate: '2001-03-03', status: 'closed', closedYearsAgo: 6, entryYearsAgo: 6.2 });
    research = await seedCase(t, s, { birthDate: '2001-03-15', status: 'closed', closedYearsAgo: 6, entryYearsAgo: 6.2 });
    open = await seedCase(t, s, { birthDate: '2001-03-04', status: 'open', entryYearsAgo: 8 });
    recent = await seedCase(t, s, { birthDate: '2001-03-06', status: 'closed', closedYearsAgo: 1, entryYearsAgo: 1.5 });
    lateEntry = await seedCase(t, s, { birthDate: '2001-03-07', status: 'closed', closedYearsAgo: 6, entryYearsAgo: 6.2 });
    await t.sql.query(
      `INSERT INTO journal_entry (id, case_id, author_user_id, author_agency_id, category, text, created_at)
       VALUES (gen_random_uuid(), $1, $2, $3, 'social', 'Sen anteckning', now() - interval '2 years')`,
      [lateEntry.id, s.userId, s.agencyId],
    );
    sibling = await seedCase(t, s, {
      birthDate: '2001-03-04',
      status: 'closed',
      closedYearsAgo: 7,
      entryYearsAgo: 7,
      subjectId: open.subjectId,
    });
    oldConcern = await seedConcern(t, s, { birthDate: '2009-05-02', decidedYearsAgo: 6 });
    recentConcern = await seedConcern(t, s, { birthDate: '2009-05-02', decidedYearsAgo: 1 });
    linkedConcern = await seedConcern(t, s, { birthDate: '2001-03-03', decidedYearsAgo: 7, caseId: old.id });
    // Audit events about the case to be erased, sealed in the Merkle tree before the run.
    await t.app.audit.record(
      t.orm.em.fork(),
      { actorId: s.userId, actorAgencyId: s.agencyId, actorRole: 'social_worker', requestId: 'r1', clientIp: null },
      {
        action: 'case.read',
        resourceType: 'case',
        resourceId: old.id,
        caseId: old.id,
        subjectId: old.subjectId,
        outcome: 'allowed',
        reason: 'owner',
      },
    );
    const q = sequencer(t);
    await q.drain();
    await q.checkpointNow();
    await q.stop();
  });
  afterAll(async () => t.close());

  it('the report: 401 without a session, 403 (audited) for a social worker, 400 for a bad limit', async () => {
    expect((await t.app.inject({ url: '/api/audit/retention' })).statusCode).toBe(401);
    const denied = await n('audit_queue', "outcome = 'denied' AND resource_type = 'retention'", []);
    expect((await t.app.inject({ url: '/api/audit/retention', headers: bearer(social) })).statusCode).toBe(403);
    expect(await n('audit_queue', "outcome = 'denied' AND resource_type = 'retention'", [])).toBe(denied + 1);
    const bad = await t.app.inject({ url: '/api/audit/retention?limit=many', headers: bearer(auditor) });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
  });

  it('before the run, the report shows what is due and what the exception keeps, without content', async () => {
    const res = await t.app.inject({ url: '/api/audit/retention', headers: bearer(auditor) });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json();
    expect(r.due).toEqual(
      expect.arrayContaining([
        { kind: 'case', rule: 'case_closed_period', count: 2 },
        { kind: 'concern', rule: 'concern_no_case_period', count: 1 },
      ]),
    );
    expect(r.due).toHaveLength(2);
    expect(r.kept).toEqual([{ kind: 'case', exception: 'research_birth_days', count: 1 }]);
    expect(r.erased).toEqual([]);
    expect(res.body).not.toMatch(/Gallra|Testsson|innehåll|Storgatan/);
    expect(await n('audit_queue', "action = 'retention.report' AND outcome = 'allowed'", [])).toBe(1);
  });

  it('the API role cannot erase an open case, nor delete a record itself', async () => {
    await expect(
      sql(t.orm.em.fork(), 'SELECT retention_erase_case(?::uuid, ?, now()) AS r', [open.id, 'case_closed_period']),
    ).rejects.toThrow(/not closed/);
    await expect(sql(t.orm.em.fork(), 'DELETE FROM journal_entry WHERE case_id = ?', [old.id])).rejects.toThrow();
    expect(await caseRows(open)).toBeGreaterThan(0);
  });

  it('a run erases exactly what the policy says, each erasure audited with ids only', async () => {
    const before = {
      research: await caseRows(research),
      open: await caseRows(open),
      recent: await caseRows(recent),
      late: await caseRows(lateEntry),
    };
    // Citizen sign-ins: one expired, one signed out, one live (only the live one stays).
    const session = (id: string, expires: string, ended: string | null) =>
      t.sql.query(
        `INSERT INTO citizen_session (id, personal_identity_number, acr, assertion_sha256, transaction_ref, authenticated_at, expires_at, ended_at)
         VALUES ($1, '201001012380', 'loa3', repeat('a', 64), 'txn', now() - interval '1 hour', now() + $2::interval, now() + $3::interval)`,
        [id, expires, ended],
      );
    const [expired, ended, live] = [randomUUID(), randomUUID(), randomUUID()];
    await session(expired, '-1 minute', null);
    await session(ended, '20 minutes', '-5 minutes');
    await session(live, '20 minutes', null);
    const run = await t.app.retention.runOnce();
    expect(run).toEqual({ erased: 3, failed: 0, kept: 1, citizenSessionsSwept: 2 });
    expect((await t.sql.query('SELECT id FROM citizen_session WHERE id = ANY($1)', [[expired, ended, live]])).rows).toEqual([{ id: live }]);
    expect(await caseRows(old)).toBe(0);
    expect(await caseRows(sibling)).toBe(0);
    expect(await n('subject', 'id = $1', [old.subjectId])).toBe(0);
    expect(await n('guardian', 'subject_id = $1', [old.subjectId])).toBe(0);
    expect(await n('consent_receipt', 'consent_id = $1', [old.consentId])).toBe(0);
    expect(await n('concern', 'id = ANY($1)', [[oldConcern, linkedConcern]])).toBe(0);
    // The subject of the sibling still has an open case: kept, with its guardian.
    expect(await n('subject', 'id = $1', [open.subjectId])).toBe(1);
    expect(await n('guardian', 'subject_id = $1', [open.subjectId])).toBe(1);
    expect({
      research: await caseRows(research),
      open: await caseRows(open),
      recent: await caseRows(recent),
      late: await caseRows(lateEntry),
    }).toEqual(before);
    expect(await n('concern', 'id = $1', [recentConcern])).toBe(1);
    // The disclosure ledger and the audit trail are records of what happened: untouched.
    const events = (
      await t.sql.query(
        "SELECT resource_type, resource_id, case_id, subject_id, reason, actor_id FROM audit_queue WHERE action = 'retention.erase' ORDER BY resource_id",
      )
    ).rows;
    expect(events).toHaveLength(3);
    expect(events.map((e) => e.resource_id).sort()).toEqual([old.id, sibling.id, oldConcern].sort());
    expect(events.find((e) => e.resource_id === old.id)).toMatchObject({
      resource_type: 'case',
      case_id: old.id,
      subject_id: old.subjectId,
      reason: 'case_closed_period',
      actor_id: null,
    });
    const erasures = (
      await t.sql.query('SELECT kind, resource_id, rule, subject_erased, counts FROM retention_erasure ORDER BY kind, resource_id')
    ).rows;
    expect(erasures).toHaveLength(3);
    expect(erasures.find((e) => e.resource_id === sibling.id)).toMatchObject({ subject_erased: false });
    expect(erasures.find((e) => e.resource_id === old.id)?.counts).toMatchObject({
      journal_entry: 1,
      document: 1,
      consent: 1,
      consent_receipt: 1,
      concern: 1,
      meeting: 1,
    });
    expect(JSON.stringify(erasures)).not.toMatch(/Gallra|Testsson|innehåll/);
  });

  it("the audit trail verifies afterwards and the erased subject's extract still proves inclusion", async () => {
    const q = sequencer(t);
    await q.drain();
    await q.checkpointNow();
    await q.stop();
    expect(await t.app.auditQueries.verify(t.orm.em.fork(), { full: true })).toMatchObject({ ok: true });
    const csv = await t.app.inject({ url: `/api/audit/subjects/${old.subjectId}/extract.csv`, headers: bearer(auditor) });
    expect(csv.statusCode, csv.body).toBe(200);
    const lines = csv.body.trim().split('\r\n').slice(1);
    expect(lines.some((l) => l.includes('"retention.erase"') && l.endsWith('"proven"'))).toBe(true);
    expect(lines.some((l) => l.includes('"case.read"') && l.endsWith('"proven"'))).toBe(true);
  });

  it('the report shows what was erased, when and under which rule', async () => {
    const r = (await t.app.inject({ url: '/api/audit/retention?limit=10', headers: bearer(auditor) })).json();
    expect(r.due).toEqual([]);
    expect(r.kept).toEqual([{ kind: 'case', exception: 'research_birth_days', count: 1 }]);
    expect(r.erasedTotals).toEqual(
      expect.arrayContaining([
        { kind: 'case', rule: 'case_closed_period', count: 2 },
        { kind: 'concern', rule: 'concern_no_case_period', count: 1 },
      ]),
    );
    expect(r.erased.map((e: { id: string }) => e.id).sort()).toEqual([old.id, sibling.id, oldConcern].sort());
    expect(r.erased.find((e: { id: string }) => e.id === old.id).reference).toMatch(/^[A-ZÅÄÖ]+-\d{4}-\d+/);
  });

  it('every table that refers to case content is one the erasure handles (a new one must be added to it)', async () => {
    const { rows } = await t.sql.query<{ t: string }>(
      `SELECT DISTINCT conrelid::regclass::text AS t FROM pg_constraint
       WHERE contype = 'f' AND confrelid::regclass::text IN ('support_case', 'subject', 'guardian', 'consent', 'meeting', 'plan_item', 'journal_entry')
       ORDER BY 1`,
    );
    const body = (await t.sql.query<{ src: string }>("SELECT prosrc AS src FROM pg_proc WHERE proname = 'retention_erase_case'")).rows[0]!
      .src;
    const missing = rows.map((r) => r.t).filter((table) => !new RegExp(`DELETE FROM ${table} WHERE`).test(body));
    expect(missing).toEqual([]);
  });

  it('pg-boss runs it on its schedule; after a restart nothing is erased twice', async () => {
    await t.app.retention.start(t.databaseUrl, { pollingIntervalSeconds: 0.5 });
    const schedule = (await t.sql.query("SELECT name, cron, timezone FROM pgboss.schedule WHERE name = 'retention'")).rows;
    expect(schedule).toEqual([{ name: 'retention', cron: '30 2 * * *', timezone: 'Europe/Stockholm' }]);
    await t.app.retention.stop();
    // A new process: the schedule is still stored, and a run through the queue finds nothing due.
    const restarted = new RetentionJob(() => t.orm.em.fork(), t.app.audit, t.app.policy.policies.retention, t.app.log);
    await restarted.start(t.databaseUrl, { pollingIntervalSeconds: 0.5 });
    try {
      expect((await t.sql.query("SELECT 1 FROM pgboss.schedule WHERE name = 'retention'")).rowCount).toBe(1);
      const jobId = await restarted.runNow();
      const deadline = Date.now() + 20_000;
      let state = '';
      while (state !== 'completed' && Date.now() < deadline) {
        state = (await t.sql.query('SELECT state FROM pgboss.job WHERE id = $1', [jobId])).rows[0]?.state ?? '';
        if (state !== 'completed') await new Promise((r) => setTimeout(r, 200));
      }
      expect(state).toBe('completed');
    } finally {
      await restarted.stop();
    }
    expect(await n('retention_erasure', 'true', [])).toBe(3);
    expect(await n('audit_queue', "action = 'retention.erase'", [])).toBe(3);
    expect(await caseRows(research)).toBeGreaterThan(0);
    expect(await caseRows(open)).toBeGreaterThan(0);
  });
});
