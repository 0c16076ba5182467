/**
 * Worker thread of the server's parallel verification (audit.verifier.ts). For one batch of
 * binary COPY tuples covering leaves [start, start + count): recomputes each leaf from the
 * event's fields and compares it with the stored leaf, checks each chain link against the stored
 * chain (chain_n = SHA-256(chain_{n-1} || leaf_n), the first link is checked by the main thread),
 * and returns the roots of the perfect subtrees that make up the range — and, for each
 * checkpoint size inside it, those of the range up to that size — so the main thread only folds
 * a few hashes per batch. Any mismatch: the batch goes back unread and the main thread replays
 * it event by event, which names the problem exactly as the sequential verifier does.
 */
import { parentPort } from 'node:worker_threads';
import { LeafBuilder } from './audit.copy.js';
import { sha256Of64, sha256Of65 } from './audit.sha256.js';

export interface BatchJob {
  id: number;
  start: number;
  count: number;
  buf: Uint8Array;
  offsets: Int32Array;
  checkpointSizes: number[];
}

export interface Subtree {
  level: number;
  hash: Uint8Array;
}

export type BatchOutcome =
  | { id: number; ok: true; firstLeaf: Uint8Array; firstChain: Uint8Array; lastChain: Uint8Array; subtrees: Subtree[]; checkpoints: { size: number; subtrees: Subtree[]; chain: Uint8Array }[] }
  | { id: number; ok: false; buf: Uint8Array; offsets: Int32Array };

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

export function runBatch(job: BatchJob): BatchOutcome {
  const b = Buffer.from(job.buf.buffer, job.buf.byteOffset, job.buf.byteLength);
  const builder = new LeafBuilder();
  const leaves: Buffer[] = new Array(job.count);
  let prevChain: Buffer | null = null;
  let firstChain: Buffer | null = null;
  const chainAt = new Map<number, Buffer>();
  const wanted = new Set(job.checkpointSizes);
  const back = (): BatchOutcome => ({ id: job.id, ok: false, buf: job.buf, offsets: job.offsets });
  for (let i = 0; i < job.count; i++) {
    const leaf = builder.leaf(b, job.offsets[i]!);
    if (builder.seq !== job.start + i + 1 || !builder.storedLeaf || !builder.storedLeaf.equals(leaf) || !builder.storedChain) return back();
    const stored = builder.storedChain;
    if (prevChain && !sha256Of64(prevChain, leaf).equals(stored)) return back();
    // A view into the batch's buffer, which lives as long as this job.
    prevChain = stored;
    if (i === 0) firstChain = prevChain;
    if (wanted.has(job.start + i + 1)) chainAt.set(job.start + i + 1, prevChain);
    leaves[i] = leaf;
  }
  const memo = new Map<number, Buffer>();
  const sub = (level: number, start: number): Buffer => {
    if (level === 0) return leaves[start - job.start]!;
    const key = level * 2 ** 40 + start;
    let h = memo.get(key);
    if (!h) {
      h = sha256Of65(1, sub(level - 1, start), sub(level - 1, start + 2 ** (level - 1)));
      memo.set(key, h);
    }
    return h;
  };
  const roots = (end: number): Subtree[] => alignedRanges(job.start, end).map((r) => ({ level: r.level, hash: sub(r.level, r.start) }));
  return {
    id: job.id, ok: true, firstLeaf: leaves[0]!, firstChain: firstChain!, lastChain: prevChain!,
    subtrees: roots(job.start + job.count),
    checkpoints: job.checkpointSizes.map((size) => ({ size, subtrees: roots(size), chain: chainAt.get(size)! })),
  };
}

parentPort?.on('message', (job: BatchJob) => {
  try {
    const out = runBatch(job);
    parentPort!.postMessage(out, out.ok ? [] : [out.buf.buffer as ArrayBuffer]);
  } catch {
    parentPort!.postMessage({ id: job.id, ok: false, buf: job.buf, offsets: job.offsets } satisfies BatchOutcome, [job.buf.buffer as ArrayBuffer]);
  }
});
