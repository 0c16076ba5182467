import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopVerifyWorkers, streamVerify, type ParallelOptions } from '../../src/modules/audit/audit.verifier.js';
import { arrayQuery, CHECKPOINT_SELECT, rowToCheckpoint } from '../../src/modules/audit/audit.sql.js';
import { verifyLogOn } from '../../src/modules/audit/audit.service.js';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { recordEvents, sequencer } from './helpers.js';

/**
 * The parallel full run reads audit_log in heap order and hands the workers rows in seq order:
 * rows that come early are held back, and anything else (a missing row, too many held) goes on
 * with the ordered query. Whatever the heap looks like, the result must be the sequential,
 * ordered verifier's.
 */
describe('full verification in heap order', () => {
  let t: TestContext;
  let pub: Uint8Array;
  const parallel: ParallelOptions = { workers: 2, batch: 8, minEvents: 0 };
  beforeAll(async () => {
    t = await createTestApp();
    pub = t.app.keys.signing.publicKey;
    const s = sequencer(t, { batchSize: 10, checkpointEvery: 10 });
    await recordEvents(t, 60);
    await s.drain();
    await s.checkpointNow();
    await s.stop();
  });
  afterAll(async () => {
    await stopVerifyWorkers();
    await t.close();
  });

  /** Rearranges the heap (or tampers) as superuser with the triggers off, verifies in the same transaction, rolls back. */
  async function run(change: (c: pg.PoolClient) => Promise<void>, opts: Partial<ParallelOptions> = {}) {
    const c = await t.sql.connect();
    try {
      await c.query('BEGIN');
      await c.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await change(c);
      const heapOrder = (await c.query<{ seq: string }>('SELECT seq FROM audit_log')).rows.map((r) => Number(r.seq));
      const sequential = await verifyLogOn(c, pub, { workers: 0, batch: 8, minEvents: 0 });
      const cps = (await arrayQuery(c)(`${CHECKPOINT_SELECT} ORDER BY id`, [])).map((row) => {
        const { id: _id, ...cp } = rowToCheckpoint(row);
        return cp;
      });
      const fast = await streamVerify(c, pub, cps, undefined, { expected: heapOrder.length, parallel: { ...parallel, ...opts } });
      expect(fast.result).toEqual(sequential);
      return { sequential, scan: fast.scan, heapOrder };
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  }

  /** A no-op UPDATE writes a new version of the row at the end of the heap: same content, another place. */
  const moveToEnd = (seqs: number[]) => async (c: pg.PoolClient) => {
    for (const s of seqs) await c.query('UPDATE audit_log SET seq = seq WHERE seq = $1', [s]);
  };

  it('an intact log whose rows are out of heap order verifies in one heap scan, rows held back until their turn', async () => {
    const r = await run(moveToEnd([3, 17, 18, 40]));
    expect(r.heapOrder.slice(-4)).toEqual([3, 17, 18, 40]);
    expect(r.sequential).toMatchObject({ ok: true, size: 60 });
    expect(r.scan).toBe('heap');
  });

  it('more rows to hold than allowed: the ordered query takes over from the last event proven, same result', async () => {
    const r = await run(moveToEnd([5]), { maxHeld: 3 });
    expect(r.sequential).toMatchObject({ ok: true, size: 60 });
    expect(r.scan).toBe('heap+ordered');
  });

  it('a missing row leaves rows held at the end: the ordered query names it', async () => {
    const r = await run(async (c) => {
      await c.query('DELETE FROM audit_log WHERE seq = 23');
    });
    expect(r.sequential).toMatchObject({ ok: false, firstBadSeq: 23 });
    expect(r.scan).toBe('heap+ordered');
  });

  it('a changed row moved in the heap: held, then its batch fails in the worker and the replay names it', async () => {
    const r = await run(async (c) => {
      await c.query("UPDATE audit_log SET reason = 'x' WHERE seq = 30");
    });
    expect(r.sequential).toMatchObject({ ok: false, firstBadSeq: 30, verifiedUpTo: 29 });
    expect(r.scan).toBe('heap');
  });

  it('a duplicated seq (primary key dropped) ends the heap scan; the ordered query reports it', async () => {
    const r = await run(async (c) => {
      await c.query('ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey CASCADE, DROP CONSTRAINT audit_log_queue_id_key');
      await c.query('INSERT INTO audit_log SELECT * FROM audit_log WHERE seq = 12');
    });
    expect(r.sequential).toMatchObject({ ok: false, firstBadSeq: 13 });
    expect(r.scan).toBe('heap+ordered');
  });
});
