/**
 * Verification of the stored log on the server: the full run (every event recomputed from its
 * fields through a binary COPY) and the per-process incremental state behind the auditor's panel.
 * See "Verification on the server" in README.md for what each call proves.
 */
import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EntityManager } from '@mikro-orm/postgresql';
import type pg from 'pg';
import {
  chainHash,
  evalPlan,
  frontierRefs,
  MerkleFrontier,
  pathPlans,
  planRefs,
  StreamingVerifier,
  verifyInclusion,
  type Checkpoint,
  type VerifiedPrefix,
  type VerifyResult,
} from './audit.crypto.js';
import {
  copyOutBinary,
  copyOutMessages,
  COPY_EVENT_SELECT,
  COPY_EVENT_TABLE,
  CopyTupleReader,
  i32,
  LeafBuilder,
  type CopyFlow,
} from './audit.copy.js';
import type { BatchJob, BatchOutcome } from './audit.verify.worker.js';
import { acquireRaw } from '../../db/sql.js';
import { arrayQuery, CHECKPOINT_SELECT, fetchSubtrees, rowToCheckpoint, subtreeKey, type ArrayQuery } from './audit.sql.js';

type StoredCheckpoint = Checkpoint & { id: number };

async function checkpointsOn(q: ArrayQuery, afterId = 0): Promise<StoredCheckpoint[]> {
  return (await q(`${CHECKPOINT_SELECT} WHERE id > $1 ORDER BY id`, [afterId])).map((r) => rowToCheckpoint(r));
}

const strip = ({ id: _id, ...c }: StoredCheckpoint): Checkpoint => c;

export interface ParallelOptions {
  /** Worker threads (0: verify on the calling thread). */
  workers: number;
  /** Leaves per batch, a power of two (batches are aligned perfect subtrees). */
  batch: number;
  /** Below this many events to read, stay on the calling thread. */
  minEvents: number;
  /** A full run reads the table in heap order, falling back to seq order when that does not work out (default true). */
  heapScan?: boolean;
  /** Rows a heap-order scan may hold back, waiting for an earlier one, before it gives up for the ordered query (default 50,000). */
  maxHeld?: number;
}

export const DEFAULT_PARALLEL: ParallelOptions = {
  workers: Math.max(1, Math.min(2, availableParallelism())),
  batch: 8192,
  minEvents: 20_000,
};

let pool: Worker[] = [];

/**
 * From source the worker's entry is TypeScript: a tiny ESM bootstrap registers tsx's loader in the worker
 * (execArgv `--import` does not reach a worker's entry module on Node 20), then imports it.
 */
function workerBootstrap(): URL {
  // The compiled build's worker is JavaScript already.
  if (import.meta.url.endsWith('.js')) return new URL('./audit.verify.worker.js', import.meta.url);
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./audit.verify.worker.ts', import.meta.url).href;
  const code = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

function workers(n: number): Worker[] {
  if (pool.length >= n) return pool.slice(0, n);
  while (pool.length < n) {
    const w = new Worker(workerBootstrap());
    w.unref();
    w.on('error', () => {
      pool = pool.filter((x) => x !== w);
    });
    pool.push(w);
  }
  return pool.slice(0, n);
}

/** Stops the verification workers (they are unref'd, so only tests and shutdown need this). */
export async function stopVerifyWorkers(): Promise<void> {
  const all = pool;
  pool = [];
  await Promise.all(all.map((w) => w.terminate()));
}

let jobIds = 0;

/**
 * Streams events (all of them, or those after `resume`) through the verifier by binary COPY and
 * returns the result, the prefix to resume from (null after a failure) and how many events
 * were recomputed. `client` must be inside a transaction (one snapshot: REPEATABLE READ). With
 * `expected` events to read at or above `parallel.minEvents`, leaves, chain links and subtree
 * roots are computed by worker threads in aligned batches while this thread reads the socket.
 *
 * A parallel full run reads the table in heap order (a sequential scan costs PostgreSQL less
 * than walking the primary key). The log is append-only and its single writer inserts in seq
 * order, so heap order is *nearly* seq order — not exactly: once (auto)vacuum has recorded free
 * space on a page, a later, shorter row can land there. So every row's seq is checked against
 * the next one expected: a row that comes early is held back (a copy) until its turn, and the
 * batches the workers get are always in seq order. A row after its turn (duplicate), more than
 * `maxHeld` rows held, or rows still held at the end (one is missing) end the heap scan: the
 * verification goes on from the last event proven with the ordered query (`WHERE seq > k ORDER
 * BY seq`, same snapshot), so the result — first bad seq included — is exactly the ordered one's.
 */
export async function streamVerify(
  client: pg.ClientBase,
  publicKey: Uint8Array,
  checkpoints: Checkpoint[],
  resume?: VerifiedPrefix,
  opts: { expected?: number; parallel?: ParallelOptions } = {},
): Promise<{ result: VerifyResult; verifier: StreamingVerifier; recomputed: number; scan: 'heap' | 'heap+ordered' | 'ordered' }> {
  const verifier = new StreamingVerifier(publicKey, checkpoints, resume);
  const parallel = opts.parallel ?? DEFAULT_PARALLEL;
  const ordered = (after: number): string =>
    `COPY (${COPY_EVENT_SELECT(after > 0 ? `WHERE seq > ${Number(after)}` : '')}) TO STDOUT (FORMAT binary)`;
  const start = resume?.size ?? 0;
  if (parallel.workers > 0 && (opts.expected ?? 0) >= parallel.minEvents) {
    const sizes = [...new Set(checkpoints.map((c) => c.treeSize))].filter((n) => n > start).sort((a, b) => a - b);
    let recomputed = 0;
    if (start === 0 && parallel.heapScan !== false) {
      const heap = await withHeapScan(client, () => parallelStream(client, COPY_EVENT_TABLE, verifier, 0, sizes, parallel, true));
      if (!heap.disordered) return { result: verifier.finish(heap.tuples), verifier, recomputed: heap.recomputed, scan: 'heap' };
      recomputed = heap.recomputed;
    }
    const from = verifier.size;
    const r = await parallelStream(
      client,
      ordered(from),
      verifier,
      from,
      sizes.filter((n) => n > from),
      parallel,
      false,
    );
    return {
      result: verifier.finish(r.tuples + from),
      verifier,
      recomputed: recomputed + r.recomputed,
      scan: start === 0 && parallel.heapScan !== false ? 'heap+ordered' : 'ordered',
    };
  }
  const builder = new LeafBuilder();
  let going = true;
  let recomputed = 0;
  const tuples = await copyOutBinary(client, ordered(start), (b, o) => {
    if (!going) return;
    const leaf = builder.leaf(b, o);
    recomputed += 1;
    going = verifier.pushLeaf(builder.seq, leaf, builder.storedLeaf, builder.storedChain);
  });
  return { result: verifier.finish(tuples + start), verifier, recomputed, scan: 'ordered' };
}

/**
 * Runs `fn` with a plain sequential scan from the table's first page: no synchronized scan
 * (which would start where another scan of the table happens to be) and no parallel workers
 * (whose rows interleave). Both settings are transaction-local and restored afterwards.
 */
async function withHeapScan<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  const q = arrayQuery(client);
  const [before] = await q(
    `SELECT current_setting('synchronize_seqscans'), current_setting('max_parallel_workers_per_gather'),
    set_config('synchronize_seqscans', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`,
    [],
  );
  try {
    return await fn();
  } finally {
    await q(`SELECT set_config('synchronize_seqscans', $1, true), set_config('max_parallel_workers_per_gather', $2, true)`, [
      before![0],
      before![1],
    ]);
  }
}

/**
 * Reads the COPY on this thread — only the message framing: each row's CopyData message is
 * copied as it is, a socket chunk's worth at a time, into the current batch — and has the
 * workers recompute the batches. `heap`: rows may come out of seq order; the first row out of
 * order ends the run with `disordered` (the verifier holds everything before it).
 */
async function parallelStream(
  client: pg.ClientBase,
  sql: string,
  verifier: StreamingVerifier,
  start: number,
  checkpointSizes: number[],
  opts: ParallelOptions,
  heap: boolean,
): Promise<{ tuples: number; recomputed: number; disordered: boolean }> {
  const ws = workers(opts.workers);
  const limit = 2 * ws.length + 1;
  const mine = new Map<number, { index: number; count: number }>();
  const results = new Map<number, BatchOutcome>();
  let nextIndex = 0;
  let dispatched = 0;
  let inflight = 0;
  let going = true;
  let disordered = false;
  let recomputed = 0;
  let flow: CopyFlow | null = null;
  let paused = false;
  let failure: unknown = null;
  let done: (() => void) | null = null;
  let cur: { start: number; count: number; buf: Uint8Array; used: number } | null = null;
  let leafIndex = start;

  const apply = (out: BatchOutcome, count: number): void => {
    if (!going) return;
    if (out.ok) {
      recomputed += count;
      going = verifier.pushRange({
        count,
        firstLeaf: Buffer.from(out.firstLeaf),
        firstChain: Buffer.from(out.firstChain),
        lastChain: Buffer.from(out.lastChain),
        subtrees: out.subtrees.map((x) => ({ level: x.level, hash: Buffer.from(x.hash) })),
        checkpoints: out.checkpoints.map((c) => ({
          size: c.size,
          chain: Buffer.from(c.chain),
          subtrees: c.subtrees.map((x) => ({ level: x.level, hash: Buffer.from(x.hash) })),
        })),
      });
      return;
    }
    // Something in this batch does not match: replay it event by event for the exact report.
    const b = Buffer.from(out.buf.buffer, out.buf.byteOffset, out.buf.byteLength);
    const builder = new LeafBuilder();
    let o = 0;
    for (let i = 0; i < count && going; i++) {
      const end = o + 1 + i32(b, o + 1);
      const leaf = builder.leaf(b, o + 5);
      if (b[o] !== 0x64 || builder.end !== end) throw new Error('unexpected COPY framing: a CopyData message that is not one row');
      if (heap && builder.seq !== verifier.size + 1) {
        disordered = true;
        going = false;
        break;
      }
      recomputed += 1;
      going = verifier.pushLeaf(builder.seq, leaf, builder.storedLeaf, builder.storedChain);
      o = end;
    }
  };
  const onMessage = (out: BatchOutcome): void => {
    const meta = mine.get(out.id);
    if (!meta) return;
    inflight -= 1;
    results.set(meta.index, out);
    while (results.has(nextIndex)) {
      const r = results.get(nextIndex)!;
      results.delete(nextIndex);
      try {
        apply(r, mine.get(r.id)!.count);
      } catch (e) {
        failure ??= e;
        going = false;
      }
      nextIndex += 1;
    }
    if (paused && inflight < limit) {
      paused = false;
      flow?.resume();
    }
    if (done && nextIndex === dispatched) done();
  };
  const onError = (e: unknown): void => {
    failure ??= e;
    going = false;
    if (paused) {
      paused = false;
      flow?.resume();
    }
    done?.();
  };
  for (const w of ws) {
    w.on('message', onMessage);
    w.on('error', onError);
  }
  const dispatch = (): void => {
    const job = cur!;
    cur = null;
    if (!going) return;
    const id = ++jobIds;
    mine.set(id, { index: dispatched, count: job.count });
    const buf = job.buf.subarray(0, job.used);
    const sizes = checkpointSizes.filter((n) => n > job.start && n <= job.start + job.count);
    ws[dispatched % ws.length]!.postMessage({ id, start: job.start, count: job.count, buf, checkpointSizes: sizes } satisfies BatchJob, [
      buf.buffer as ArrayBuffer,
    ]);
    dispatched += 1;
    inflight += 1;
    if (inflight >= limit && flow && !paused) {
      paused = true;
      flow.pause();
    }
  };
  /** Appends src[from..to) to the current batch. */
  const append = (src: Buffer, from: number, to: number): void => {
    if (to <= from) return;
    cur ??= { start: leafIndex, count: 0, buf: new Uint8Array(Math.max(opts.batch * 400, (to - from) * 2)), used: 0 };
    if (cur.used + to - from > cur.buf.length) {
      const bigger = new Uint8Array(Math.max(cur.buf.length * 2, cur.used + to - from));
      bigger.set(cur.buf.subarray(0, cur.used));
      cur.buf = bigger;
    }
    src.copy(cur.buf, cur.used, from, to);
    cur.used += to - from;
  };
  const reader = new CopyTupleReader();
  let tuples = 0;
  /** Heap order: the next seq to hand on, and rows that came before their turn (a copy of each message). */
  let next = start + 1;
  const held = new Map<number, Buffer>();
  /** One more row (its bytes are appended by the caller): counts it in the batch, cuts the batch when full. */
  const row = (): boolean => {
    cur ??= { start: leafIndex, count: 0, buf: new Uint8Array(opts.batch * 400), used: 0 };
    cur.count += 1;
    leafIndex += 1;
    next += 1;
    return leafIndex % opts.batch === 0;
  };
  /** Rows held back whose turn has come. */
  const release = (): void => {
    for (let m = held.get(next); m && going; m = held.get(next)) {
      held.delete(next);
      append(m, 0, m.length);
      if (row()) dispatch();
    }
  };
  /** Is the row at `t` the next one? If not (heap order only), hold it, or give up the heap scan. */
  const inTurn = (b: Buffer, o: number, t: number, end: number): boolean => {
    const seq = i32(b, t + 2) === 8 ? (i32(b, t + 6) >>> 0) * 4294967296 + (i32(b, t + 10) >>> 0) : -1;
    if (seq === next) return true;
    if (seq > next && held.size < (opts.maxHeld ?? 50_000) && !held.has(seq)) held.set(seq, Buffer.from(b.subarray(o, end)));
    else {
      disordered = true;
      going = false;
    }
    return false;
  };
  try {
    await copyOutMessages(
      client,
      sql,
      (b, from, to) => {
        // b[run..o) holds rows counted in the batch but not copied yet.
        let run = from;
        let o = from;
        while (o < to) {
          const end = o + 1 + i32(b, o + 1);
          const t = reader.first(b, o + 5, end);
          if (t !== o + 5) {
            // The header before the first row (rewritten as a message holding only the row), or the trailer.
            if (going) append(b, run, o);
            run = end;
            o = end;
            if (t < 0) continue;
            tuples += 1;
            if (!going) continue;
            const m = Buffer.alloc(5 + end - t);
            m[0] = 0x64;
            m.writeUInt32BE(4 + end - t, 1);
            b.copy(m, 5, t, end);
            if (heap && !inTurn(m, 0, 5, m.length)) continue;
            append(m, 0, m.length);
            if (row()) dispatch();
            if (heap) release();
            continue;
          }
          tuples += 1;
          if (!going) {
            o = end;
            continue;
          }
          if (heap && !inTurn(b, o, t, end)) {
            append(b, run, o);
            o = end;
            run = end;
            continue;
          }
          o = end;
          if (row()) {
            append(b, run, o);
            run = o;
            dispatch();
          }
          if (heap && held.size > 0 && held.has(next)) {
            append(b, run, o);
            run = o;
            release();
          }
        }
        if (going) append(b, run, o);
      },
      (f) => {
        flow = f;
      },
    );
    // Rows still held: some row before them never came (missing, or tampered): the ordered query tells.
    if (heap && held.size > 0 && going) {
      disordered = true;
      going = false;
    }
    if (cur && going) dispatch();
    cur = null;
    if (nextIndex < dispatched && !failure)
      await new Promise<void>((resolve) => {
        done = resolve;
        if (nextIndex === dispatched) resolve();
      });
    if (failure) throw failure;
    return { tuples, recomputed, disordered };
  } finally {
    for (const w of ws) {
      w.off('message', onMessage);
      w.off('error', onError);
    }
  }
}

async function headSize(q: ArrayQuery): Promise<number> {
  const head = await q('SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1', []);
  return head[0] ? Number(head[0][0]) : 0;
}

/** Verifies the whole log on `client`, which must be inside a transaction. */
export async function verifyLogOn(
  client: pg.ClientBase,
  publicKey: Uint8Array,
  parallel: ParallelOptions = DEFAULT_PARALLEL,
): Promise<VerifyResult> {
  const q = arrayQuery(client);
  const cps = (await checkpointsOn(q)).map(strip);
  return (await streamVerify(client, publicKey, cps, undefined, { expected: await headSize(q), parallel })).result;
}

export interface LastFullRun {
  at: string;
  ok: boolean;
  size: number;
  firstBadSeq?: number;
  durationMs: number;
}

export interface VerifyOutcome extends VerifyResult {
  /** `full`: every event recomputed now; `incremental`: the new tail, the prefix's anchors and a sample. */
  mode: 'full' | 'incremental';
  /** Events whose leaf was recomputed from their fields by this call (tail + sample, or all). */
  recomputed: number;
  /** Events of the already verified prefix spot-checked by this call. */
  sampled: number;
  verifiedAt: string;
  /** The last run that recomputed every event, in this process. */
  lastFullRun: LastFullRun | null;
  durationMs: number;
  eventsPerSecond: number;
}

export interface LogVerifierOptions {
  /** Below this many events every call is a full run (it costs well under a second). */
  fullBelow?: number;
  /** A full run is started (in the background) when the last one is older than this. */
  fullEveryMs?: number;
  /** Events of the verified prefix spot-checked on each incremental call. */
  sample?: number;
  parallel?: ParallelOptions;
}

interface Prefix extends VerifiedPrefix {
  /** Id of the newest checkpoint covered, how many rows the checkpoint table had up to it, and its signature. */
  checkpointId: number;
  checkpointRows: number;
  checkpointSignature: string | null;
}

/**
 * The per-process verification state: the verified prefix (size, chain head, Merkle frontier,
 * checkpoints checked) and the last full run. One incremental or full call at a time; a
 * periodic full run may run alongside in the background.
 */
export class LogVerifier {
  private prefix: Prefix | null = null;
  private lastFull: LastFullRun | null = null;
  /** The last call's result and when it finished (epoch ms), for the metrics. */
  lastOutcome: { ok: boolean; at: number } | null = null;
  /** Bumped whenever the prefix is thrown away, so that a call started before cannot restore it. */
  private generation = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private background: Promise<unknown> | null = null;
  readonly options: Required<LogVerifierOptions>;

  constructor(
    private readonly publicKey: Uint8Array,
    options: LogVerifierOptions = {},
  ) {
    this.options = { fullBelow: 50_000, fullEveryMs: 15 * 60_000, sample: 1_000, parallel: DEFAULT_PARALLEL, ...options };
  }

  /** Forgets the verified prefix: the next call recomputes everything. */
  reset(): void {
    this.prefix = null;
    this.generation += 1;
  }

  /** Waits for a background full run, if any (on shutdown). */
  async idle(): Promise<void> {
    await this.background?.catch(() => {});
    await this.queue.catch(() => {});
  }

  verify(em: EntityManager, opts: { full?: boolean } = {}): Promise<VerifyOutcome> {
    const run = this.queue.then(
      () => this.run(em, opts.full === true),
      () => this.run(em, opts.full === true),
    );
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(em: EntityManager, forceFull: boolean): Promise<VerifyOutcome> {
    const started = performance.now();
    const { client, release } = await acquireRaw(em);
    let outcome: Omit<VerifyOutcome, 'durationMs' | 'eventsPerSecond' | 'lastFullRun' | 'verifiedAt'>;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const q = arrayQuery(client);
        const size = await headSize(q);
        const p = this.prefix;
        const incremental =
          !forceFull &&
          p !== null &&
          size >= p.size &&
          size > this.options.fullBelow &&
          this.lastFull !== null &&
          this.lastFull.ok &&
          (await this.anchorsHold(q, p));
        outcome = incremental ? await this.incremental(client, p) : await this.full(client, started);
      } finally {
        await client.query('ROLLBACK').catch(() => {});
      }
    } finally {
      await release();
    }
    if (
      outcome.mode === 'incremental' &&
      this.lastFull &&
      Date.now() - Date.parse(this.lastFull.at) > this.options.fullEveryMs &&
      !this.background
    ) {
      this.background = this.backgroundFull(em).finally(() => {
        this.background = null;
      });
    }
    const durationMs = performance.now() - started;
    this.lastOutcome = { ok: outcome.ok, at: Date.now() };
    return {
      ...outcome,
      verifiedAt: new Date().toISOString(),
      lastFullRun: this.lastFull,
      durationMs: Math.round(durationMs),
      eventsPerSecond: Math.round(outcome.recomputed / Math.max(durationMs / 1000, 1e-6)),
    };
  }

  private async backgroundFull(em: EntityManager): Promise<void> {
    const { client, release } = await acquireRaw(em);
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        await this.full(client, performance.now(), true);
      } finally {
        await client.query('ROLLBACK').catch(() => {});
      }
    } catch {
      // A failed run (database gone) leaves the state as it was; the next call tries again.
    } finally {
      await release();
    }
  }

  private async full(
    client: pg.ClientBase,
    started: number,
    background = false,
  ): Promise<Omit<VerifyOutcome, 'durationMs' | 'eventsPerSecond' | 'lastFullRun' | 'verifiedAt'>> {
    const generation = this.generation;
    const q = arrayQuery(client);
    const cps = await checkpointsOn(q);
    const { result, verifier, recomputed } = await streamVerify(client, this.publicKey, cps.map(strip), undefined, {
      expected: await headSize(q),
      parallel: this.options.parallel,
    });
    this.lastFull = {
      at: new Date().toISOString(),
      ok: result.ok,
      size: result.size,
      durationMs: Math.round(performance.now() - started),
      ...(result.firstBadSeq !== undefined ? { firstBadSeq: result.firstBadSeq } : {}),
    };
    const verified = verifier.prefix();
    if (!verified) this.reset();
    else if (generation === this.generation && (!background || !this.prefix || this.prefix.size <= verified.size)) {
      const last = cps[cps.length - 1];
      this.prefix = { ...verified, checkpointId: last?.id ?? 0, checkpointRows: cps.length, checkpointSignature: last?.signature ?? null };
    }
    return { ...result, mode: 'full', recomputed, sampled: 0 };
  }

  /** The verified prefix is still what was verified: its last event's chain head and the checkpoints up to the last one checked. */
  private async anchorsHold(q: ArrayQuery, p: Prefix): Promise<boolean> {
    if (p.size > 0) {
      const row = await q('SELECT chain_hash FROM audit_log WHERE seq = $1', [p.size]);
      if (!row[0] || !(row[0][0] as Buffer).equals(p.chain)) return false;
    }
    const cp = await q(
      'SELECT count(*)::int, (SELECT signature FROM audit_checkpoint WHERE id = $1) FROM audit_checkpoint WHERE id <= $1',
      [p.checkpointId],
    );
    return Number(cp[0]![0]) === p.checkpointRows && ((cp[0]![1] as string | null) ?? null) === p.checkpointSignature;
  }

  private async incremental(
    client: pg.ClientBase,
    p: Prefix,
  ): Promise<Omit<VerifyOutcome, 'durationMs' | 'eventsPerSecond' | 'lastFullRun' | 'verifiedAt'>> {
    const generation = this.generation;
    const q = arrayQuery(client);
    const fresh = await checkpointsOn(q, p.checkpointId);
    const { result, verifier, recomputed } = await streamVerify(client, this.publicKey, fresh.map(strip), p, {
      expected: (await headSize(q)) - p.size,
      parallel: this.options.parallel,
    });
    const problems: { seq: number; problem: string }[] = [];
    // Checkpoints signed since, for a size inside the prefix (an idle re-sign): against the stored tree.
    for (const c of verifier.checkpointsInsidePrefix()) {
      const bad = await checkAgainstStoredTree(q, c);
      if (bad) problems.push({ seq: Math.min(c.treeSize, p.lastGoodCheckpointSize) + 1, problem: bad });
    }
    const latest = fresh.length ? strip(fresh[fresh.length - 1]!) : p.lastCheckpoint;
    if (result.ok && latest && latest.treeSize > 0) {
      const bad = await checkAgainstStoredTree(q, latest);
      if (bad) problems.push({ seq: 1, problem: bad });
    }
    const sample =
      result.ok && latest
        ? await spotCheck(client, q, latest, Math.min(p.size, latest.treeSize), this.options.sample)
        : { checked: 0, bad: null };
    if (sample.bad) problems.push(sample.bad);
    if (problems.length) {
      // Something in the prefix is no longer what was verified: recompute everything, which also
      // names the first sequence number that cannot be proven.
      this.reset();
      const full = await this.full(client, performance.now());
      return { ...full, recomputed: full.recomputed + recomputed + sample.checked };
    }
    const next = verifier.prefix();
    if (!next) this.reset();
    else if (generation === this.generation) {
      const last = fresh[fresh.length - 1];
      this.prefix = {
        ...next,
        checkpointId: last?.id ?? p.checkpointId,
        checkpointRows: p.checkpointRows + fresh.length,
        checkpointSignature: last?.signature ?? p.checkpointSignature,
      };
    }
    return { ...result, mode: 'incremental', recomputed: recomputed + sample.checked, sampled: sample.checked };
  }
}

/** Root and chain head at a checkpoint's size, from the stored Merkle nodes and the stored chain; null when they match. */
async function checkAgainstStoredTree(q: ArrayQuery, c: Checkpoint): Promise<string | null> {
  if (c.treeSize === 0) return null;
  const refs = frontierRefs(c.treeSize);
  let hashes: Map<string, Buffer>;
  try {
    hashes = await fetchSubtrees(q, refs);
  } catch {
    return `the stored tree lacks nodes for the checkpoint at size ${c.treeSize}`;
  }
  const root = MerkleFrontier.from(
    c.treeSize,
    refs.map((r) => hashes.get(subtreeKey(r))!),
  )
    .root()
    .toString('hex');
  const chain = await q('SELECT chain_hash FROM audit_log WHERE seq = $1', [c.treeSize]);
  if (root !== c.rootHash) return `the stored Merkle nodes do not give the signed root at size ${c.treeSize}`;
  if (!chain[0] || (chain[0][0] as Buffer).toString('hex') !== c.chainHash)
    return `the stored chain does not give the signed chain head at size ${c.treeSize}`;
  return null;
}

/**
 * Spot check of `count` random events among the first `size`: leaf recomputed from the fields,
 * the chain link to the stored predecessor, and the inclusion proof (from the stored nodes)
 * against the signed root of `checkpoint`.
 */
async function spotCheck(
  client: pg.ClientBase,
  q: ArrayQuery,
  checkpoint: Checkpoint,
  size: number,
  count: number,
): Promise<{ checked: number; bad: { seq: number; problem: string } | null }> {
  if (size <= 0 || count <= 0) return { checked: 0, bad: null };
  const picked = new Set<number>();
  if (count >= size) for (let s = 1; s <= size; s++) picked.add(s);
  else while (picked.size < count) picked.add(1 + randomInt(size));
  const seqs = [...picked].sort((a, b) => a - b);
  const wanted = new Set<number>(seqs);
  for (const s of seqs) if (s > 1) wanted.add(s - 1);
  const rows = new Map<number, { leaf: Buffer; stored: Buffer | null; chain: Buffer | null }>();
  const builder = new LeafBuilder();
  await copyOutBinary(
    client,
    `COPY (${COPY_EVENT_SELECT(`WHERE seq IN (${[...wanted].map(Number).join(',')})`)}) TO STDOUT (FORMAT binary)`,
    (b, o) => {
      const leaf = builder.leaf(b, o);
      rows.set(builder.seq, {
        leaf,
        stored: builder.storedLeaf && Buffer.from(builder.storedLeaf),
        chain: builder.storedChain && Buffer.from(builder.storedChain),
      });
    },
  );
  const plans = seqs.map((s) => pathPlans(s - 1, 0, checkpoint.treeSize));
  const refs = [
    ...new Map(
      plans
        .flat()
        .flatMap((p) => planRefs(p))
        .map((r) => [subtreeKey(r), r]),
    ).values(),
  ];
  let nodes: Map<string, Buffer> | null = null;
  try {
    nodes = refs.length ? await fetchSubtrees(q, refs) : new Map();
  } catch {
    nodes = null;
  }
  const root = Buffer.from(checkpoint.rootHash, 'hex');
  for (let i = 0; i < seqs.length; i++) {
    const s = seqs[i]!;
    const r = rows.get(s);
    if (!r) return { checked: i, bad: { seq: s, problem: `event ${s} is missing` } };
    if (!r.stored || !r.stored.equals(r.leaf))
      return { checked: i + 1, bad: { seq: s, problem: `event ${s} does not match its leaf hash` } };
    const prev = s === 1 ? Buffer.alloc(32) : rows.get(s - 1)?.chain;
    if (!prev || !r.chain || !chainHash(prev, r.leaf).equals(r.chain))
      return { checked: i + 1, bad: { seq: s, problem: `event ${s} does not match the hash chain` } };
    const proof = nodes ? plans[i]!.map((p) => evalPlan(p, (ref) => nodes!.get(subtreeKey(ref))!)) : null;
    if (!proof || !verifyInclusion(s - 1, checkpoint.treeSize, r.leaf, proof, root)) {
      return { checked: i + 1, bad: { seq: s, problem: `event ${s} is not included in the signed tree` } };
    }
  }
  return { checked: seqs.length, bad: null };
}
