import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initOrm, type Orm } from '../../src/db/orm.js';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { ctx, event, logStats, one, sequencer, sleep } from './helpers.js';

describe('sequencing under concurrency', () => {
  let t: TestContext;
  let wide: Orm;
  beforeAll(async () => {
    t = await createTestApp({}, { seed: false });
    wide = await initOrm(t.databaseUrl, 64);
  });
  afterAll(async () => {
    await wide.close();
    await t.close();
  });

  /** 64 transactions at once, each recording 5 events through AuditService.record, holding open for a random while so commits interleave out of id order. */
  async function writers(rounds = 1): Promise<number> {
    let n = 0;
    for (let round = 0; round < rounds; round++) {
      await Promise.all(
        Array.from({ length: 64 }, (_, w) =>
          wide.em.fork().transactional(async (tx) => {
            for (let i = 0; i < 5; i++) {
              await t.app.audit.record(tx, ctx(), event(w * 100 + i));
              await sleep(Math.random() * 15);
            }
          }),
        ),
      );
      n += 64 * 5;
    }
    return n;
  }

  it('64 concurrent writers while the sequencer runs → a contiguous sequence, every event exactly once, verifiable', async () => {
    const s = sequencer(t, { intervalMs: 5, batchSize: 37, checkpointEvery: 50 });
    s.start();
    const n = await writers(2);
    await s.drain();
    await s.stop();
    const st = await logStats(t.sql);
    expect(st).toEqual({ n, min: 1, max: n, distinctQueue: n, queue: n });
    const missing = await one<{ n: number }>(
      t.sql,
      'SELECT count(*)::int AS n FROM audit_queue q WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.queue_id = q.id AND l.event_id = q.event_id)',
    );
    expect(missing.n).toBe(0);
    expect(await t.app.auditQueries.verify(t.orm.em.fork())).toMatchObject({ ok: true, size: n });
  });

  it('two sequencers started at once → one leader, one chain; the other takes over when the leader stops', async () => {
    const before = (await logStats(t.sql)).n;
    const a = sequencer(t, { intervalMs: 5, retryMs: 20, batchSize: 50 });
    const b = sequencer(t, { intervalMs: 5, retryMs: 20, batchSize: 50 });
    a.start();
    b.start();
    const n = await writers(1);
    await sleep(100);
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    const [leader, other] = a.isLeader ? [a, b] : [b, a];
    await leader.drain();
    const head1 = await one<{ seq: string; h: string }>(
      t.sql,
      "SELECT seq, encode(chain_hash, 'hex') AS h FROM audit_log ORDER BY seq DESC LIMIT 1",
    );
    expect(Number(head1.seq)).toBe(before + n);
    await leader.stop();
    const m = await writers(1);
    const until = Date.now() + 10_000;
    while (!other.isLeader && Date.now() < until) await sleep(20);
    expect(other.isLeader).toBe(true);
    await other.drain();
    await other.stop();
    const st = await logStats(t.sql);
    expect(st).toEqual({ n: before + n + m, min: 1, max: before + n + m, distinctQueue: before + n + m, queue: before + n + m });
    expect(await t.app.auditQueries.verify(t.orm.em.fork())).toMatchObject({ ok: true, size: before + n + m });
  });

  it('concurrent runOnce() on two instances never forks the chain', async () => {
    const before = (await logStats(t.sql)).n;
    const a = sequencer(t, { batchSize: 7 });
    const b = sequencer(t, { batchSize: 7 });
    const write = writers(1);
    const results = await Promise.all([a.runOnce(), b.runOnce()]);
    expect(results.filter((r) => r.leader)).toHaveLength(1);
    const n = await write;
    await (a.isLeader ? a : b).drain();
    await a.stop();
    await b.stop();
    expect((await logStats(t.sql)).max).toBe(before + n);
    expect(await t.app.auditQueries.verify(t.orm.em.fork())).toMatchObject({ ok: true, size: before + n });
  });
});
