/**
 * Worker thread of the server's parallel verification (audit.verifier.ts). For one batch of
 * binary COPY tuples covering leaves [start, start + count) — the CopyData messages exactly as
 * they came off the socket, one tuple each — recomputes each leaf from the event's fields and
 * compares it with the stored leaf, checks each chain link against the stored chain
 * (chain_n = SHA-256(chain_{n-1} || leaf_n), the first link is checked by the main thread), and
 * returns the roots of the perfect subtrees that make up the range — and, for each checkpoint
 * size inside it, those of the range up to that size — so the main thread only folds a few
 * hashes per batch. Any mismatch (or a sequence number other than the expected one): the batch
 * goes back unread and the main thread replays it event by event, which names the problem
 * exactly as the sequential verifier does.
 */
import { parentPort } from 'node:worker_threads';
import { LeafBuilder } from './audit.copy.js';
import { chainLinkMatches, equal32, nodeHashInto } from './audit.sha256.js';

export interface BatchJob {
  id: number;
  start: number;
  count: number;
  /** `count` CopyData messages: 'd', int32 length, one tuple. */
  buf: Uint8Array;
  checkpointSizes: number[];
}

export interface Subtree {
  level: number;
  hash: Uint8Array;
}

export type BatchOutcome =
  | {
      id: number;
      ok: true;
      firstLeaf: Uint8Array;
      firstChain: Uint8Array;
      lastChain: Uint8Array;
      subtrees: Subtree[];
      checkpoints: { size: number; subtrees: Subtree[]; chain: Uint8Array }[];
    }
  | { id: number; ok: false; buf: Uint8Array };

/** The perfect subtrees (level, first leaf) that make up leaves [a, b), left to right. */
export function alignedRanges(a: number, b: number): { level: number; start: number }[] {
  const out: { level: number; start: number }[] = [];
  while (a < b) {
    let level = 0;
    while (a % 2 ** (level + 1) === 0 && a + 2 ** (level + 1) <= b) level += 1;
    out.push({ level, start: a });
    a += 2 ** level;
  }
  return out;
}

const i32 = (b: Uint8Array, o: number): number => (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;

/**
 * Hashes of the perfect subtrees inside leaves [start, end), level by level: level l holds the
 * nodes idx = ceil(start / 2^l) … floor(end / 2^l) - 1, 32 bytes each. Scratch arrays are reused
 * from batch to batch.
 */
class Levels {
  private arrays: Uint8Array[] = [];
  private first: number[] = [];
  private start = 0;

  /** Level 0 (the leaves) of a range of `count` leaves from `start`, to be filled by the caller. */
  leaves(start: number, count: number): Uint8Array {
    this.start = start;
    this.first = [start];
    return this.array(0, count);
  }

  private array(level: number, n: number): Uint8Array {
    const cur = this.arrays[level];
    if (cur && cur.length >= n * 32) return cur;
    const next = new Uint8Array(Math.max(n * 32, 64));
    this.arrays[level] = next;
    return next;
  }

  /** Computes every level above the leaves. */
  build(end: number): void {
    for (let level = 1; ; level++) {
      const size = 2 ** level;
      const lo = Math.ceil(this.start / size);
      const hi = Math.floor(end / size);
      if (hi <= lo) break;
      const below = this.arrays[level - 1]!;
      const belowFirst = this.first[level - 1]!;
      const out = this.array(level, hi - lo);
      this.first[level] = lo;
      for (let idx = lo, w = 0; idx < hi; idx++, w += 32) {
        const left = (2 * idx - belowFirst) * 32;
        nodeHashInto(below, left, below, left + 32, out, w);
      }
    }
  }

  /** A copy of the root of the perfect subtree (level, first leaf). */
  node(level: number, leaf: number): Uint8Array {
    const at = (leaf / 2 ** level - this.first[level]!) * 32;
    return this.arrays[level]!.slice(at, at + 32);
  }
}

const builder = new LeafBuilder();
const levels = new Levels();

export function runBatch(job: BatchJob): BatchOutcome {
  const b = Buffer.from(job.buf.buffer, job.buf.byteOffset, job.buf.byteLength);
  const back = (): BatchOutcome => ({ id: job.id, ok: false, buf: job.buf });
  const leaves = levels.leaves(job.start, job.count);
  let prevChainAt = -1;
  let firstChainAt = -1;
  const chainAt = new Map<number, number>();
  const wanted = new Set(job.checkpointSizes);
  let o = 0;
  for (let i = 0; i < job.count; i++) {
    if (o + 5 > b.length || b[o] !== 0x64) return back();
    const end = o + 1 + i32(b, o + 1);
    builder.leafInto(b, o + 5, leaves, i * 32);
    if (builder.end !== end || builder.seq !== job.start + i + 1 || builder.storedLeafAt < 0 || builder.storedChainAt < 0) return back();
    if (!equal32(b, builder.storedLeafAt, leaves, i * 32)) return back();
    const stored = builder.storedChainAt;
    if (prevChainAt >= 0 && !chainLinkMatches(b, prevChainAt, leaves, i * 32, b, stored)) return back();
    prevChainAt = stored;
    if (i === 0) firstChainAt = stored;
    if (wanted.has(job.start + i + 1)) chainAt.set(job.start + i + 1, stored);
    o = end;
  }
  if (o !== b.length) return back();
  const end = job.start + job.count;
  levels.build(end);
  const roots = (upTo: number): Subtree[] =>
    alignedRanges(job.start, upTo).map((r) => ({ level: r.level, hash: levels.node(r.level, r.start) }));
  const copy32 = (at: number): Uint8Array => new Uint8Array(b.subarray(at, at + 32));
  return {
    id: job.id,
    ok: true,
    firstLeaf: leaves.slice(0, 32),
    firstChain: copy32(firstChainAt),
    lastChain: copy32(prevChainAt),
    subtrees: roots(end),
    checkpoints: job.checkpointSizes.map((size) => ({ size, subtrees: roots(size), chain: copy32(chainAt.get(size)!) })),
  };
}

parentPort?.on('message', (job: BatchJob) => {
  let out: BatchOutcome;
  try {
    out = runBatch(job);
  } catch {
    out = { id: job.id, ok: false, buf: job.buf };
  }
  parentPort!.postMessage(out, out.ok ? [] : [out.buf.buffer as ArrayBuffer]);
});
