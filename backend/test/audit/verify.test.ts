import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { recordEvents, sequencer } from './helpers.js';

/**
 * The panel's incremental verification: what it recomputes, what it catches at once (the new
 * tail, the prefix's anchors, a sampled event) and what only a full run catches.
 */
describe('incremental verification', () => {
  let t: TestContext;
  let auditor: string;
  const s = () => sequencer(t, { batchSize: 10, checkpointEvery: 10 });
  async function append(n: number): Promise<void> {
    await recordEvents(t, n);
    const q = s();
    await q.drain();
    await q.checkpointNow();
    await q.stop();
  }
  /** Changes a stored row behind the API's back (committed), returning a function that undoes it. */
  async function tamper(sql: string, undo: string): Promise<() => Promise<void>> {
    const run = async (text: string) => {
      const c = await t.sql.connect();
      try {
        await c.query('BEGIN');
        await c.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
        await c.query(text);
        await c.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    };
    await run(sql);
    return () => run(undo);
  }
  const v = () => t.app.auditQueries.verifier;
  const verify = (full = false) => t.app.auditQueries.verify(t.orm.em.fork(), { full });
  const size = async () => Number((await t.sql.query('SELECT max(seq) AS n FROM audit_log')).rows[0].n);

  beforeAll(async () => {
    t = await createTestApp();
    auditor = await login(t.app, 'auditor');
    Object.assign(v().options, { fullBelow: 0, sample: 0 });
    await append(30);
  });
  afterAll(async () => t.close());

  it('the first call recomputes everything; later calls only what is new (plus the sample)', async () => {
    const first = await verify();
    expect(first).toMatchObject({ ok: true, mode: 'full', recomputed: await size(), sampled: 0 });
    expect(first.lastFullRun).toMatchObject({ ok: true, size: await size() });
    const before = await size();
    await append(7);
    Object.assign(v().options, { sample: 5 });
    const next = await verify();
    expect(next).toMatchObject({ ok: true, mode: 'incremental', size: await size(), sampled: 5 });
    expect(next.recomputed).toBe((await size()) - before + 5);
    expect(next.checkpointsVerified).toBeGreaterThan(first.checkpointsVerified);
    Object.assign(v().options, { sample: 0 });
  });

  it('a change in the new tail is caught by the next incremental call, at its sequence number', async () => {
    await verify();
    const head = await size();
    await append(5);
    const undo = await tamper(
      `UPDATE audit_log SET reason = 'x' WHERE seq = ${head + 2}`,
      `UPDATE audit_log SET reason = 'own_agency' WHERE seq = ${head + 2}`,
    );
    try {
      expect(await verify()).toMatchObject({ ok: false, firstBadSeq: head + 2, verifiedUpTo: head + 1 });
    } finally {
      await undo();
    }
    expect(await verify()).toMatchObject({ ok: true, mode: 'full' });
  });

  it('an edited old event without a sample is missed by the incremental call and caught by the full run (?full=true)', async () => {
    await verify();
    const undo = await tamper(
      "UPDATE audit_log SET reason = 'x' WHERE seq = 3",
      "UPDATE audit_log SET reason = 'own_agency' WHERE seq = 3",
    );
    try {
      expect(await verify()).toMatchObject({ ok: true, mode: 'incremental' });
      const res = await t.app.inject({ url: '/api/audit/verify?full=true', headers: bearer(auditor) });
      expect(res.json()).toMatchObject({ ok: false, mode: 'full', firstBadSeq: 3, verifiedUpTo: 2 });
      // A failed full run throws the verified prefix away: the panel keeps showing the problem.
      expect(await verify()).toMatchObject({ ok: false, mode: 'full', firstBadSeq: 3 });
    } finally {
      await undo();
    }
    expect(await verify()).toMatchObject({ ok: true, mode: 'full' });
  });

  it('a sampled old event that was edited sends the call to a full run that names it', async () => {
    await verify();
    Object.assign(v().options, { sample: 1_000 });
    const undo = await tamper("UPDATE audit_log SET action = 'x' WHERE seq = 2", "UPDATE audit_log SET action = 'case.read' WHERE seq = 2");
    try {
      expect(await verify()).toMatchObject({ ok: false, mode: 'full', firstBadSeq: 2, verifiedUpTo: 1 });
    } finally {
      await undo();
      Object.assign(v().options, { sample: 0 });
    }
  });

  it('rewritten hashes up to the verified head break its anchor: full run, caught at the checkpoint', async () => {
    expect(await verify()).toMatchObject({ ok: true });
    const head = await size();
    const undo = await tamper(
      `UPDATE audit_log SET chain_hash = sha256(chain_hash) WHERE seq = ${head}`,
      `UPDATE audit_log SET chain_hash = (SELECT chain_hash FROM audit_checkpoint WHERE tree_size = ${head} ORDER BY id DESC LIMIT 1) WHERE seq = ${head}`,
    );
    try {
      expect(await verify()).toMatchObject({ ok: false, mode: 'full', firstBadSeq: head });
    } finally {
      await undo();
    }
    expect(await verify()).toMatchObject({ ok: true, mode: 'full' });
  });

  it('GET /api/audit/verify: incremental by default, full on request, 400 on a malformed flag', async () => {
    await t.app.inject({ url: '/api/audit/verify', headers: bearer(auditor) });
    const inc = await t.app.inject({ url: '/api/audit/verify', headers: bearer(auditor) });
    expect(inc.json()).toMatchObject({ ok: true, mode: 'incremental' });
    expect(inc.json().lastFullRun).toMatchObject({ ok: true });
    expect((await t.app.inject({ url: '/api/audit/verify?full=true', headers: bearer(auditor) })).json()).toMatchObject({
      ok: true,
      mode: 'full',
    });
    expect((await t.app.inject({ url: '/api/audit/verify?full=maybe', headers: bearer(auditor) })).statusCode).toBe(400);
  });
});
