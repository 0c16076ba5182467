import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/sql.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { createCase } from '../cases/fixtures.js';

/**
 * The API running as it does on the embedded PostgreSQL (`npm start`): every pooled connection
 * SET ROLE samverka_app, the sequencer samverka_audit_sequencer. The whole path — sign-in, a
 * case, an entry, list and search, the sequencer, the auditor's search and verification — works
 * with those grants, and the API's own connections cannot change the audit trail.
 */
describe('the API with the least-privileged database roles', () => {
  let t: TestContext;
  let social: string;
  let auditor: string;

  beforeAll(async () => {
    t = await createTestApp({ DB_ROLE: 'samverka_app', AUDIT_SEQUENCER_DB_ROLE: 'samverka_audit_sequencer' });
    social = await login(t.app, 'social');
    auditor = await login(t.app, 'auditor');
  });
  afterAll(async () => t?.close());

  it('runs every statement as samverka_app', async () => {
    const [row] = await sql<{ role: string }>(t.orm.em.fork(), 'SELECT current_user AS role');
    expect(row!.role).toBe('samverka_app');
  });

  it('works end to end with those grants', async () => {
    const c = await createCase(t.app, social);
    const entry = await t.app.inject({
      method: 'POST',
      url: `/api/cases/${c.id}/entries`,
      headers: bearer(social),
      payload: { category: 'social', text: 'Samtal.' },
    });
    expect(entry.statusCode).toBe(201);
    expect((await t.app.inject({ url: '/api/cases', headers: bearer(social) })).statusCode).toBe(200);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(social), payload: { q: 'a' } })).statusCode,
    ).toBe(200);
    await t.app.auditSequencer.drain(10_000);
    await t.app.auditSequencer.checkpointNow();
    const events = await t.app.inject({ url: `/api/audit/events?caseId=${c.id}`, headers: bearer(auditor) });
    expect(events.statusCode).toBe(200);
    expect((events.json() as { items: { action: string }[] }).items.map((e) => e.action)).toContain('entry.create');
    const verify = await t.app.inject({ url: '/api/audit/verify?full=true', headers: bearer(auditor) });
    expect(verify.json()).toMatchObject({ ok: true });
  });

  it('cannot update, delete or truncate the audit trail through its own connections', async () => {
    const em = t.orm.em.fork();
    for (const stmt of [
      "UPDATE audit_queue SET reason = 'x'",
      'DELETE FROM audit_queue',
      'TRUNCATE audit_log',
      "INSERT INTO audit_checkpoint (tree_size, root_hash, chain_hash, signed_at, key_id, signature) VALUES (99, sha256(''), sha256(''), now(), 'k', 's')",
    ]) {
      await expect(sql(em, stmt)).rejects.toThrow(/permission denied/);
    }
  });

  it("inserts only the event's own columns: position, id and time come from the database", async () => {
    const em = t.orm.em.fork();
    const base = "gen_random_uuid(), 'x.y', 'z', 'allowed'";
    await expect(sql(em, `INSERT INTO audit_queue (event_id, action, resource_type, outcome) VALUES (${base})`)).resolves.toEqual([]);
    await expect(sql(em, `INSERT INTO audit_queue (event_id, action, resource_type, outcome, txid) VALUES (${base}, 1)`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(sql(em, `INSERT INTO audit_queue (event_id, action, resource_type, outcome, id) VALUES (${base}, 1)`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(
      sql(
        em,
        `INSERT INTO audit_queue (event_id, action, resource_type, outcome, occurred_at) VALUES (${base}, now() - interval '1 year')`,
      ),
    ).rejects.toThrow(/permission denied/);
  });
});
