import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { ctx, event, logStats, one, recordEvents, runSome, sequencer, sleep } from './helpers.js';

describe('crashes', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp({}, { seed: false });
  });
  afterAll(async () => t.close());

  const countAgency = async (id: string): Promise<number> =>
    (await one<{ n: number }>(t.sql, 'SELECT count(*)::int AS n FROM agency WHERE id = $1', [id])).n;
  const countEvent = async (resourceId: string): Promise<number> =>
    (await one<{ n: number }>(t.sql, 'SELECT count(*)::int AS n FROM audit_queue WHERE resource_id = $1', [resourceId])).n;

  it('a rolled-back transaction leaves neither the change nor its audit event', async () => {
    const id = randomUUID();
    await expect(
      t.orm.em.fork().transactional(async (tx) => {
        await tx
          .getConnection()
          .execute(
            "INSERT INTO agency (id, name, kind) VALUES (?, ?, 'school')",
            [id, `Rollback ${id}`],
            'run',
            tx.getTransactionContext(),
          );
        await t.app.audit.record(tx, ctx(), event(0, { action: 'admin.agency.create', resourceType: 'agency', resourceId: id }));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await countAgency(id)).toBe(0);
    expect(await countEvent(id)).toBe(0);
  });

  it('a transaction whose connection is killed mid-way leaves neither', async () => {
    const id = randomUUID();
    await expect(
      t.orm.em.fork().transactional(async (tx) => {
        const conn = tx.getConnection();
        await conn.execute(
          "INSERT INTO agency (id, name, kind) VALUES (?, ?, 'school')",
          [id, `Killed ${id}`],
          'run',
          tx.getTransactionContext(),
        );
        await t.app.audit.record(tx, ctx(), event(0, { action: 'admin.agency.create', resourceType: 'agency', resourceId: id }));
        const [row] = await conn.execute<{ pid: number }[]>('SELECT pg_backend_pid() AS pid', [], 'all', tx.getTransactionContext());
        const pid = row!.pid;
        await t.sql.query('SELECT pg_terminate_backend($1)', [pid]);
        await conn.execute('SELECT 1', [], 'all', tx.getTransactionContext());
      }),
    ).rejects.toThrow();
    expect(await countAgency(id)).toBe(0);
    expect(await countEvent(id)).toBe(0);
  });

  it('a sequencer that throws between insert and commit keeps nothing; the next run resumes with no gap and no duplicate', async () => {
    await recordEvents(t, 25);
    const s = sequencer(t, { batchSize: 10 });
    const first = await runSome(s); // 10 unless a transaction elsewhere on the cluster split the batch
    expect(first).toBeGreaterThan(0);
    expect((await logStats(t.sql)).max).toBe(first);
    s.opts.beforeCommit = async () => {
      throw new Error('crash between steps');
    };
    await expect(s.runOnce()).rejects.toThrow('crash between steps');
    expect((await logStats(t.sql)).max).toBe(first);
    s.opts.beforeCommit = undefined;
    await s.drain();
    await s.stop();
    expect(await logStats(t.sql)).toEqual({ n: 25, min: 1, max: 25, distinctQueue: 25, queue: 25 });
  });

  it('a sequencer whose backend is terminated mid-batch: a restarted one resumes with no gap and no duplicate', async () => {
    const before = (await logStats(t.sql)).n;
    await recordEvents(t, 30);
    const s = sequencer(t, { batchSize: 12, checkpointEvery: 5 });
    let killed = false;
    s.opts.beforeCommit = async ({ client, sequenced }) => {
      if (sequenced > 0) {
        killed = true;
        await t.sql.query('SELECT pg_terminate_backend($1)', [(client as unknown as { processID: number }).processID]);
      }
    };
    const until = Date.now() + 10_000;
    while (!killed && Date.now() < until) {
      await s.runOnce().catch(() => undefined);
      if (!killed) await sleep(20);
    }
    expect(killed).toBe(true);
    expect((await logStats(t.sql)).n).toBe(before);
    await s.stop();

    const restarted = sequencer(t, { batchSize: 12, checkpointEvery: 5 });
    await restarted.drain();
    await restarted.stop();
    expect(await logStats(t.sql)).toEqual({ n: before + 30, min: 1, max: before + 30, distinctQueue: before + 30, queue: before + 30 });
    expect(await t.app.auditQueries.verify(t.orm.em.fork())).toMatchObject({ ok: true, size: before + 30 });
  });
});
