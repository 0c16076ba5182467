/**
 * The audit trail's cryptography, free of any database: canonical event bytes, the hash chain,
 * the RFC 6962 Merkle tree (leaf = SHA-256(0x00 || bytes), node = SHA-256(0x01 || left || right)),
 * inclusion proofs, signed checkpoints and a streaming verifier. The offline verifier
 * (src/cli/audit-verify.ts) uses exactly this file, so the server and an outside auditor compute
 * the same thing.
 */
import { createHash, hash } from 'node:crypto';
import { signDetached, verifyDetached, type SigningKey } from '../../lib/keys.js';

export const EVENT_FORMAT = 'samverka.audit.event/v1';
export const CHECKPOINT_FORMAT = 'samverka.audit.checkpoint/v1';
export const ZERO_HASH = Buffer.alloc(32);
const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

/** One sequenced event, as stored and as exported. Ids only; `occurredAt` in UTC with microseconds. */
export interface LogEvent {
  seq: number;
  eventId: string;
  occurredAt: string;
  actorId: string | null;
  actorAgencyId: string | null;
  actorRole: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  caseId: string | null;
  subjectId: string | null;
  outcome: string;
  reason: string | null;
  consentIds: string[];
  requestId: string | null;
  clientIp: string | null;
}

/**
 * The canonical bytes of an event: the UTF-8 JSON array of its fields in this fixed order. JSON
 * arrays serialise deterministically, so no key ordering rules are needed. The sequence number
 * is part of the leaf, so moving an event to another position changes its hash.
 */
export function canonicalEvent(e: LogEvent): Buffer {
  return Buffer.from(canonicalJson(e), 'utf8');
}

function canonicalJson(e: LogEvent): string {
  return JSON.stringify([
    EVENT_FORMAT,
    e.seq,
    e.eventId,
    e.occurredAt,
    e.actorId,
    e.actorAgencyId,
    e.actorRole,
    e.action,
    e.resourceType,
    e.resourceId,
    e.caseId,
    e.subjectId,
    e.outcome,
    e.reason,
    e.consentIds,
    e.requestId,
    e.clientIp,
  ]);
}

export function leafHash(canonical: Buffer): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(canonical).digest();
}

/** SHA-256(0x00 || canonical bytes of the event), in one shot ('\0' is the single byte 0x00 in UTF-8). */
export function eventLeafHash(e: LogEvent): Buffer {
  return hash('sha256', `\0${canonicalJson(e)}`, 'buffer');
}

// One-shot hashing of a reused scratch buffer is ~2.5× faster than createHash().update()….
const NODE_SCRATCH = Buffer.alloc(65);
NODE_SCRATCH[0] = NODE_PREFIX[0]!;
const CHAIN_SCRATCH = Buffer.alloc(64);

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  left.copy(NODE_SCRATCH, 1);
  right.copy(NODE_SCRATCH, 33);
  return hash('sha256', NODE_SCRATCH, 'buffer');
}

/** chain_n = SHA-256(chain_{n-1} || leaf_n), chain_0 = 32 zero bytes. */
export function chainHash(previous: Buffer, leaf: Buffer): Buffer {
  previous.copy(CHAIN_SCRATCH, 0);
  leaf.copy(CHAIN_SCRATCH, 32);
  return hash('sha256', CHAIN_SCRATCH, 'buffer');
}

export const EMPTY_ROOT = createHash('sha256').digest();

/** Largest power of two strictly smaller than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A perfect subtree: level l, index i covers leaves [i·2^l, (i+1)·2^l). */
export interface SubtreeRef {
  level: number;
  idx: number;
}

/** The perfect subtrees whose roots, folded right to left, give the root of a tree of size n. */
export function frontierRefs(n: number): SubtreeRef[] {
  const out: SubtreeRef[] = [];
  let start = 0;
  for (let level = 52; level >= 0; level--) {
    const size = 2 ** level;
    if (Math.floor(n / size) % 2 === 1) {
      out.push({ level, idx: start / size });
      start += size;
    }
  }
  return out;
}

/** The right edge of the tree: one perfect subtree per set bit of the size, largest first. */
export class MerkleFrontier {
  size = 0;
  private stack: { level: number; hash: Buffer }[] = [];

  static from(size: number, hashes: Buffer[]): MerkleFrontier {
    const f = new MerkleFrontier();
    const refs = frontierRefs(size);
    if (refs.length !== hashes.length) throw new Error('frontier does not match the tree size');
    f.size = size;
    f.stack = refs.map((r, i) => ({ level: r.level, hash: hashes[i]! }));
    return f;
  }

  clone(): MerkleFrontier {
    const f = new MerkleFrontier();
    f.size = this.size;
    f.stack = this.stack.slice();
    return f;
  }

  /** Appends a leaf; calls `onNode` for every perfect subtree completed (level ≥ 1). */
  append(leaf: Buffer, onNode?: (level: number, idx: number, hash: Buffer) => void): void {
    this.stack.push({ level: 0, hash: leaf });
    this.size += 1;
    while (this.stack.length >= 2) {
      const right = this.stack[this.stack.length - 1]!;
      const left = this.stack[this.stack.length - 2]!;
      if (left.level !== right.level) break;
      this.stack.length -= 2;
      const level = left.level + 1;
      const hash = nodeHash(left.hash, right.hash);
      this.stack.push({ level, hash });
      onNode?.(level, this.size / 2 ** level - 1, hash);
    }
  }

  /** Appends the root of a perfect subtree of 2^level leaves; the size must be a multiple of 2^level. */
  appendSubtree(level: number, hash: Buffer): void {
    if (this.size % 2 ** level !== 0) throw new Error('subtree not aligned with the frontier');
    this.stack.push({ level, hash });
    this.size += 2 ** level;
    while (this.stack.length >= 2) {
      const right = this.stack[this.stack.length - 1]!;
      const left = this.stack[this.stack.length - 2]!;
      if (left.level !== right.level) break;
      this.stack.length -= 2;
      this.stack.push({ level: left.level + 1, hash: nodeHash(left.hash, right.hash) });
    }
  }

  hashes(): Buffer[] {
    return this.stack.map((s) => s.hash);
  }

  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let acc = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i]!.hash, acc);
    return acc;
  }
}

/** How to compute MTH(D[start:end]) from perfect subtrees (RFC 6962 §2.1). */
export type TreePlan = { ref: SubtreeRef } | { left: TreePlan; right: TreePlan };

export function mthPlan(start: number, end: number): TreePlan {
  const n = end - start;
  if (n < 1) throw new Error('empty range');
  const level = Math.log2(n);
  if (Number.isInteger(level) && start % n === 0) return { ref: { level, idx: start / n } };
  const k = splitPoint(n);
  return { left: mthPlan(start, start + k), right: mthPlan(start + k, end) };
}

/** PATH(m, D[start:end]) of RFC 6962 §2.1.1, as plans, from the leaf upwards. */
export function pathPlans(m: number, start: number, end: number): TreePlan[] {
  const n = end - start;
  if (n <= 1) return [];
  const k = splitPoint(n);
  if (m - start < k) return [...pathPlans(m, start, start + k), mthPlan(start + k, end)];
  return [...pathPlans(m, start + k, end), mthPlan(start, start + k)];
}

export function planRefs(plan: TreePlan, out: SubtreeRef[] = []): SubtreeRef[] {
  if ('ref' in plan) out.push(plan.ref);
  else {
    planRefs(plan.left, out);
    planRefs(plan.right, out);
  }
  return out;
}

export function evalPlan(plan: TreePlan, lookup: (ref: SubtreeRef) => Buffer): Buffer {
  if ('ref' in plan) return lookup(plan.ref);
  return nodeHash(evalPlan(plan.left, lookup), evalPlan(plan.right, lookup));
}

/** Root of a perfect subtree from its leaves. */
export function perfectRoot(leaves: Buffer[]): Buffer {
  let level = leaves;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!;
}

/** RFC 9162 §2.1.3.2: verifies an inclusion proof of leaf `index` in a tree of `size` leaves. */
export function verifyInclusion(index: number, size: number, leaf: Buffer, proof: Buffer[], root: Buffer): boolean {
  if (index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** A signed statement: the tree had `treeSize` events with this root and chain head at `signedAt`. */
export interface Checkpoint {
  treeSize: number;
  rootHash: string;
  chainHash: string;
  signedAt: string;
  keyId: string;
  signature: string;
}

export function checkpointMessage(c: Omit<Checkpoint, 'signature'>): Buffer {
  return Buffer.from([CHECKPOINT_FORMAT, String(c.treeSize), c.rootHash, c.chainHash, c.signedAt, c.keyId].join('\n'), 'utf8');
}

export function signCheckpoint(key: SigningKey, c: Omit<Checkpoint, 'signature' | 'keyId'>): Checkpoint {
  const body = { ...c, keyId: key.kid };
  return { ...body, signature: signDetached(key, checkpointMessage(body)) };
}

/**
 * Checkpoint signatures this process has found valid, by the exact public key, signature and
 * signed bytes: a signature over the same bytes cannot stop being valid, and node-forge's Ed25519
 * check costs ≈ 10 ms, which a repeated full verification (the service's periodic one, every
 * auditor's panel) would otherwise pay again for every old checkpoint. Anything changed in a
 * checkpoint changes its bytes, so it is checked afresh. Bounded: cleared when full.
 */
const validSignatures = new Set<string>();
const MAX_REMEMBERED_SIGNATURES = 100_000;

export function verifyCheckpointSignature(publicKey: Uint8Array, c: Checkpoint): boolean {
  const message = checkpointMessage(c);
  const remembered = `${Buffer.from(publicKey).toString('base64')}\n${c.signature}\n${message.toString('latin1')}`;
  if (validSignatures.has(remembered)) return true;
  const ok = verifyDetached(publicKey, message, c.signature);
  if (ok) {
    if (validSignatures.size >= MAX_REMEMBERED_SIGNATURES) validSignatures.clear();
    validSignatures.add(remembered);
  }
  return ok;
}

/** SubjectPublicKeyInfo DER prefix of an Ed25519 key (RFC 8410). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function publicKeyPem(raw: Uint8Array): string {
  const b64 = Buffer.concat([SPKI_PREFIX, Buffer.from(raw)]).toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`;
}

/** Reads an Ed25519 public key given as PEM (SPKI), base64 or hex of the 32 raw bytes. */
export function parsePublicKey(text: string): Buffer | null {
  const t = text.trim();
  const pem = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(t);
  if (pem) {
    const der = Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64');
    if (der.length === 44 && der.subarray(0, 12).equals(SPKI_PREFIX)) return der.subarray(12);
    return null;
  }
  if (/^[0-9a-f]{64}$/i.test(t)) return Buffer.from(t, 'hex');
  const b = Buffer.from(t, 'base64');
  return b.length === 32 ? b : null;
}

export function keyId(raw: Uint8Array): string {
  return createHash('sha256').update(Buffer.from(raw)).digest('hex').slice(0, 16);
}

/** A prefix of the log proven earlier: enough state to continue verifying from its end. */
export interface VerifiedPrefix {
  size: number;
  chain: Buffer;
  /** Roots of the perfect subtrees of the tree of `size` leaves (frontierRefs order). */
  frontier: Buffer[];
  lastGoodCheckpointSize: number;
  checkpointsVerified: number;
  lastCheckpoint: Checkpoint | null;
}

export interface VerifyResult {
  ok: boolean;
  /** Number of events examined (the stored log's size). */
  size: number;
  /** The first sequence number that cannot be proven (missing, altered, reordered, or after the last checkpoint that still verified). */
  firstBadSeq?: number;
  /** Every event up to this sequence number is proven intact. */
  verifiedUpTo: number;
  problem?: string;
  checkpointsVerified: number;
  lastCheckpoint: Checkpoint | null;
}

/**
 * Streams a log through: recomputes every leaf, the chain and the tree, and checks each
 * checkpoint's signature, monotony, root and chain head at its size. Feed events in sequence
 * order with `push`, then call `finish`.
 */
export class StreamingVerifier {
  private frontier = new MerkleFrontier();
  private chain: Buffer = ZERO_HASH;
  private readonly bySize = new Map<number, Checkpoint[]>();
  private readonly checkpoints: Checkpoint[];
  private lastGoodCheckpointSize = 0;
  private checkpointsVerified = 0;
  private bad: { seq: number; problem: string } | null = null;
  private seen = 0;
  private readonly previous: Checkpoint | null;
  private readonly startSize: number;

  /**
   * `resume` continues from a prefix verified earlier (its size, chain head, frontier, the last
   * checkpoint it checked); `checkpoints` are then only those signed since.
   */
  constructor(publicKey: Uint8Array, checkpoints: Checkpoint[], resume?: VerifiedPrefix) {
    this.checkpoints = checkpoints;
    this.previous = resume?.lastCheckpoint ?? null;
    this.startSize = resume?.size ?? 0;
    if (resume) {
      this.frontier = MerkleFrontier.from(resume.size, resume.frontier);
      this.chain = resume.chain;
      this.lastGoodCheckpointSize = resume.lastGoodCheckpointSize;
      this.checkpointsVerified = resume.checkpointsVerified;
    }
    let prev: Checkpoint | null = this.previous;
    for (const c of checkpoints) {
      if (!verifyCheckpointSignature(publicKey, c) || c.keyId !== keyId(publicKey)) {
        this.fail(this.lastGoodBefore(c), `checkpoint at size ${c.treeSize} has an invalid signature`);
        break;
      }
      if (prev && (c.treeSize < prev.treeSize || c.signedAt < prev.signedAt)) {
        this.fail(this.lastGoodBefore(c), `checkpoint at size ${c.treeSize} goes back in size or time`);
        break;
      }
      if (resume && c.treeSize < resume.size) {
        // Signed after the prefix was verified but for a size inside it: the caller checks it
        // against the stored tree (checkpointsInsidePrefix).
        prev = c;
        continue;
      }
      prev = c;
      const list = this.bySize.get(c.treeSize) ?? [];
      list.push(c);
      this.bySize.set(c.treeSize, list);
    }
    const here = this.bySize.get(this.frontier.size);
    if (here) this.checkAt(this.frontier.size, here);
  }

  /** Checkpoints signed since the resumed prefix but for a size inside it (the caller checks them against the stored tree). */
  checkpointsInsidePrefix(): Checkpoint[] {
    return this.startSize > 0 ? this.checkpoints.filter((c) => c.treeSize < this.startSize) : [];
  }

  private lastGoodBefore(c: Checkpoint): number {
    let best = this.previous && this.previous.treeSize <= c.treeSize ? this.previous.treeSize : 0;
    for (const o of this.checkpoints) if (o !== c && o.treeSize < c.treeSize) best = Math.max(best, o.treeSize);
    return Math.min(best + 1, Math.max(c.treeSize, 1));
  }

  private fail(seq: number, problem: string): void {
    if (!this.bad || seq < this.bad.seq) this.bad = { seq, problem };
  }

  /** Events proven so far: the next event expected is `size + 1`. */
  get size(): number {
    return this.frontier.size;
  }

  get failed(): boolean {
    return this.bad !== null;
  }

  private checkAt(size: number, list: Checkpoint[], frontier = this.frontier, chainHead = this.chain): void {
    const root = frontier.root().toString('hex');
    const chain = chainHead.toString('hex');
    for (const c of list) {
      if (c.rootHash !== root || c.chainHash !== chain) {
        this.fail(this.lastGoodCheckpointSize + 1, `checkpoint at size ${size} does not match the stored events`);
        return;
      }
      this.checkpointsVerified += 1;
    }
    this.lastGoodCheckpointSize = size;
  }

  /** Returns false once verification has failed (the caller may stop streaming). */
  push(e: LogEvent, storedLeaf?: Buffer | null, storedChain?: Buffer | null): boolean {
    if (this.bad && this.bad.seq <= this.frontier.size + 1) return false;
    if (e.seq !== this.frontier.size + 1) return this.pushLeaf(e.seq, ZERO_HASH, storedLeaf, storedChain);
    return this.pushLeaf(e.seq, eventLeafHash(e), storedLeaf, storedChain);
  }

  /**
   * The same as `push` for a leaf hash the caller computed from the event's canonical bytes
   * (the server's fast path builds those bytes straight from the database's binary rows).
   */
  pushLeaf(seq: number, leaf: Buffer, storedLeaf?: Buffer | null, storedChain?: Buffer | null): boolean {
    if (this.bad && this.bad.seq <= this.frontier.size + 1) return false;
    this.seen += 1;
    const expected = this.frontier.size + 1;
    if (seq !== expected) {
      this.fail(expected, seq > expected ? `event ${expected} is missing` : `event ${seq} is out of order or duplicated`);
      return false;
    }
    if (storedLeaf && !storedLeaf.equals(leaf)) {
      this.fail(seq, `event ${seq} does not match its leaf hash`);
      return false;
    }
    const chain = chainHash(this.chain, leaf);
    if (storedChain && !storedChain.equals(chain)) {
      this.fail(seq, `event ${seq} does not match the hash chain`);
      return false;
    }
    this.chain = chain;
    this.frontier.append(leaf);
    const list = this.bySize.get(this.frontier.size);
    if (list) this.checkAt(this.frontier.size, list);
    return !this.bad || this.bad.seq > this.frontier.size + 1;
  }

  /**
   * Pushes a range of events checked elsewhere (a worker): every leaf was recomputed from its
   * event and matched the stored leaf, and every chain link inside the range matched the stored
   * chain. Here: the first link, the checkpoints inside the range (from the perfect subtrees up
   * to each one's size and the stored chain there), then the range's subtrees.
   */
  pushRange(r: {
    count: number;
    firstLeaf: Buffer;
    firstChain: Buffer;
    lastChain: Buffer;
    subtrees: { level: number; hash: Buffer }[];
    checkpoints: { size: number; subtrees: { level: number; hash: Buffer }[]; chain: Buffer }[];
  }): boolean {
    if (this.bad && this.bad.seq <= this.frontier.size + 1) return false;
    const first = this.frontier.size + 1;
    if (!chainHash(this.chain, r.firstLeaf).equals(r.firstChain)) {
      this.seen += 1;
      this.fail(first, `event ${first} does not match the hash chain`);
      return false;
    }
    for (const c of r.checkpoints) {
      const list = this.bySize.get(c.size);
      if (!list) continue;
      const f = this.frontier.clone();
      for (const s of c.subtrees) f.appendSubtree(s.level, s.hash);
      this.checkAt(c.size, list, f, c.chain);
      if (this.bad && this.bad.seq <= c.size + 1) {
        // The sequential verifier stops at this size too.
        this.seen += c.size - this.frontier.size;
        this.frontier = f;
        this.chain = c.chain;
        return false;
      }
    }
    for (const s of r.subtrees) this.frontier.appendSubtree(s.level, s.hash);
    this.chain = r.lastChain;
    this.seen += r.count;
    return !this.bad || this.bad.seq > this.frontier.size + 1;
  }

  /** Records a problem found outside the stream (e.g. a checkpoint inside a resumed prefix). */
  reject(seq: number, problem: string): void {
    this.fail(seq, problem);
  }

  /** What was proven so far, to resume from later; null once verification has failed. */
  prefix(): VerifiedPrefix | null {
    if (this.bad) return null;
    const lastCheckpoint = this.checkpoints.length ? this.checkpoints[this.checkpoints.length - 1]! : this.previous;
    return {
      size: this.frontier.size,
      chain: this.chain,
      frontier: this.frontier.hashes(),
      lastGoodCheckpointSize: this.lastGoodCheckpointSize,
      checkpointsVerified: this.checkpointsVerified,
      lastCheckpoint,
    };
  }

  /** `total` is the number of events the source holds (defaults to those pushed). */
  finish(total = this.seen): VerifyResult {
    const size = this.frontier.size;
    if (!this.bad) {
      const beyond = this.checkpoints.find((c) => c.treeSize > size);
      if (beyond) this.fail(size + 1, `a checkpoint covers ${beyond.treeSize} events but only ${size} are stored`);
    }
    const last = this.checkpoints.length ? this.checkpoints[this.checkpoints.length - 1]! : this.previous;
    if (this.bad) {
      return {
        ok: false,
        size: Math.max(total, size),
        firstBadSeq: this.bad.seq,
        verifiedUpTo: Math.min(this.bad.seq - 1, size),
        problem: this.bad.problem,
        checkpointsVerified: this.checkpointsVerified,
        lastCheckpoint: last,
      };
    }
    return { ok: true, size, verifiedUpTo: size, checkpointsVerified: this.checkpointsVerified, lastCheckpoint: last };
  }
}

/** A subject's log extract: each event with its inclusion proof against one signed checkpoint. */
export interface ExtractEvent extends LogEvent {
  leafIndex: number;
  leafHash: string;
  inclusionProof: string[] | null;
  /**
   * Fields the copy leaves out (a person's own copy: staff identities; a protected person's:
   * who accessed). Such an event cannot be recomputed to its leaf hash; its leaf hash is still
   * proven to be in the signed log.
   */
  redacted?: readonly string[];
}

export interface ExtractVerifyResult {
  ok: boolean;
  events: number;
  proven: number;
  /** Of `proven`: events with fields left out, proven by their leaf hash only. */
  provenByLeafOnly: number;
  pending: number;
  firstBadSeq?: number;
  problem?: string;
}

export function verifyExtract(publicKey: Uint8Array, checkpoint: Checkpoint | null, events: ExtractEvent[]): ExtractVerifyResult {
  let proven = 0;
  let provenByLeafOnly = 0;
  let pending = 0;
  if (checkpoint && (!verifyCheckpointSignature(publicKey, checkpoint) || checkpoint.keyId !== keyId(publicKey))) {
    return {
      ok: false,
      events: events.length,
      proven: 0,
      provenByLeafOnly: 0,
      pending: 0,
      firstBadSeq: events[0]?.seq,
      problem: 'the checkpoint signature is invalid',
    };
  }
  const root = checkpoint ? Buffer.from(checkpoint.rootHash, 'hex') : null;
  for (const e of events) {
    const whole = !e.redacted?.length;
    const leaf = whole ? eventLeafHash(e) : Buffer.from(/^[0-9a-f]{64}$/.test(e.leafHash) ? e.leafHash : '', 'hex');
    if (e.leafIndex !== e.seq - 1 || leaf.toString('hex') !== e.leafHash) {
      return {
        ok: false,
        events: events.length,
        proven,
        provenByLeafOnly,
        pending,
        firstBadSeq: e.seq,
        problem: `event ${e.seq} does not match its leaf hash`,
      };
    }
    if (!e.inclusionProof) {
      if (checkpoint && e.seq <= checkpoint.treeSize) {
        return {
          ok: false,
          events: events.length,
          proven,
          provenByLeafOnly,
          pending,
          firstBadSeq: e.seq,
          problem: `event ${e.seq} lacks its inclusion proof`,
        };
      }
      pending += 1;
      continue;
    }
    if (
      !checkpoint ||
      !root ||
      !verifyInclusion(
        e.leafIndex,
        checkpoint.treeSize,
        leaf,
        e.inclusionProof.map((h) => Buffer.from(h, 'hex')),
        root,
      )
    ) {
      return {
        ok: false,
        events: events.length,
        proven,
        provenByLeafOnly,
        pending,
        firstBadSeq: e.seq,
        problem: `the inclusion proof of event ${e.seq} does not verify`,
      };
    }
    proven += 1;
    if (!whole) provenByLeafOnly += 1;
  }
  return { ok: true, events: events.length, proven, provenByLeafOnly, pending };
}
