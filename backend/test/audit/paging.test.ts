/**
 * Keyset paging of the audit log (`before` / `after` on the sequence number) is stable while
 * events are written between page reads: every event is seen exactly once, in order. Offset
 * paging (`page`) keeps working as before.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { recordEvents } from './helpers.js';

interface Page {
  items: { seq: number | null; sequenced: boolean; subjectId: string | null }[];
  total: number;
  page: number;
  pageSize: number;
  head: number;
  nextBefore: number | null;
  nextAfter: number | null;
}

describe('audit event paging', () => {
  let t: TestContext;
  let auditor: string;
  beforeAll(async () => {
    t = await createTestApp();
    auditor = await login(t.app, 'auditor');
  });
  afterAll(() => t.close());

  const get = async (query: string): Promise<Page> => {
    const res = await t.app.inject({ url: `/api/audit/events?${query}`, headers: bearer(auditor) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  // Each search is itself audited under the subject it names (audit.search): the filter keeps to
  // the events written here (case.read), while those searches are written between reads too.
  /** Writes `n` events of `subject` and sequences everything written so far. */
  const write = async (subject: string, n: number): Promise<void> => {
    await recordEvents(t, n, { subjectId: subject });
    await t.app.auditSequencer.drain();
  };
  const seqsOf = async (subject: string, upTo = Number.MAX_SAFE_INTEGER): Promise<number[]> =>
    (
      await t.sql.query<{ seq: string }>(
        "SELECT seq FROM audit_log WHERE subject_id = $1 AND action = 'case.read' AND seq <= $2 ORDER BY seq",
        [subject, upTo],
      )
    ).rows.map((r) => Number(r.seq));

  it('walks newest first with `before`, no repeats and no gaps, while newer events are written', async () => {
    const subject = randomUUID();
    await write(subject, 23);
    const { head } = await get(`subjectId=${subject}&action=case.read&pageSize=5`);
    const seen: number[] = [];
    let cursor: number | null = head + 1;
    let pages = 0;
    while (cursor !== null) {
      const p = await get(`subjectId=${subject}&action=case.read&pageSize=5&before=${cursor}`);
      expect(p.items.length).toBeLessThanOrEqual(5);
      seen.push(...p.items.map((e) => e.seq!));
      cursor = p.nextBefore;
      pages++;
      // Between reads, new events of the same subject arrive and are sequenced.
      await write(subject, 4);
    }
    expect(pages).toBe(5);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].reverse()).toEqual(await seqsOf(subject, head));
    expect(seen).toHaveLength(23);
  });

  it('shows that offset pages shift under the same writes (why the keyset exists)', async () => {
    const subject = randomUUID();
    await write(subject, 10);
    const first = await get(`subjectId=${subject}&action=case.read&pageSize=5&page=1`);
    await write(subject, 2);
    const second = await get(`subjectId=${subject}&action=case.read&pageSize=5&page=2`);
    const repeated = second.items.filter((e) => first.items.some((f) => f.seq === e.seq));
    expect(repeated).toHaveLength(2);
  });

  it('follows the log oldest first with `after`, catching every new event exactly once', async () => {
    const subject = randomUUID();
    await write(subject, 9);
    const seen: number[] = [];
    let cursor = 0;
    for (let round = 0; round < 12; round++) {
      const p = await get(`subjectId=${subject}&action=case.read&pageSize=4&after=${cursor}`);
      seen.push(...p.items.map((e) => e.seq!));
      expect(p.nextAfter).toBe(p.items.at(-1)?.seq ?? cursor);
      expect(p.nextBefore).toBeNull();
      cursor = p.nextAfter!;
      if (round < 6) await write(subject, 3);
    }
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(await seqsOf(subject));
    expect(seen).toHaveLength(9 + 6 * 3);
  });

  it('keeps the offset parameters working, and refuses contradictory cursors', async () => {
    const subject = randomUUID();
    await write(subject, 3);
    const p = await get(`subjectId=${subject}&action=case.read`);
    expect(p).toMatchObject({ page: 1, pageSize: 50, total: 3, nextBefore: null, nextAfter: null });
    expect(p.head).toBeGreaterThanOrEqual(Math.max(...(await seqsOf(subject))));
    // Unsequenced events show on offset pages; keyset pages hold sequenced events only.
    await recordEvents(t, 1, { subjectId: subject });
    expect((await get(`subjectId=${subject}&action=case.read`)).items.filter((e) => !e.sequenced)).toHaveLength(1);
    expect((await get(`subjectId=${subject}&action=case.read&before=${Number.MAX_SAFE_INTEGER}`)).items.every((e) => e.sequenced)).toBe(
      true,
    );
    for (const query of ['before=5&after=1', 'before=5&page=2', 'after=-1', 'before=abc']) {
      const res = await t.app.inject({ url: `/api/audit/events?${query}`, headers: bearer(auditor) });
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });
});
