/**
 * The audit sequencer: the single writer of audit_log. Requests only INSERT into audit_queue
 * and never wait on it.
 *
 * Leadership: a session-level `pg_try_advisory_lock` on a dedicated connection. Every batch is
 * written on that same connection, so only the lock holder can write; a second instance keeps
 * retrying and takes over when the leader's session ends (crash, kill, network loss). Even
 * without the lock, `seq` is the primary key and each batch re-reads the head inside its
 * transaction, so two writers could not fork the chain: one of them would fail on the key.
 *
 * Order: queue rows carry the id of the transaction that inserted them. A batch takes rows
 * after the last sequenced (txid, id), in (txid, id) order, and only those with txid below the
 * xmin of the statement's snapshot: every transaction with a smaller id has committed or
 * aborted, so no row can still appear in that range. A long-running write transaction anywhere
 * in the cluster therefore delays sequencing (bounded lag), but never causes a skip or reorder.
 */
import pg from 'pg';
import { Backoff } from '../../db/backoff.js';
import type { SigningKey } from '../../lib/keys.js';
import { chainHash, eventLeafHash, frontierRefs, MerkleFrontier, signCheckpoint, ZERO_HASH, type Checkpoint } from './audit.crypto.js';
import {
  arrayQuery,
  CHECKPOINT_SELECT,
  EVENT_COLUMNS,
  fetchSubtrees,
  MIN_STORED_LEVEL,
  rowToCheckpoint,
  rowToEvent,
  subtreeKey,
  type CheckpointRow,
} from './audit.sql.js';

/** Advisory lock key of the sequencer ("SAMV" "AUDT"). */
export const SEQUENCER_LOCK_KEY = '6007612165012841556';

/** Name of the sequencer's connection in pg_stat_activity. */
export const SEQUENCER_APPLICATION_NAME = 'samverka-audit-sequencer';

export interface SequencerOptions {
  connectionString: string;
  signing: SigningKey;
  /** `SET ROLE` to this role on the sequencer's connection (least privilege), when given. */
  dbRole?: string;
  batchSize?: number;
  intervalMs?: number;
  /** Wait before trying to lead again while another instance leads. */
  retryMs?: number;
  /** After a failed batch (database away): waits from this, doubling, jittered … */
  failureRetryMs?: number;
  /** … up to this. */
  failureRetryMaxMs?: number;
  /** Sign a checkpoint once this many events are not yet covered by one … */
  checkpointEvery?: number;
  /** … or when uncovered events are this old … */
  checkpointSeconds?: number;
  /** … and re-sign the same size when idle for this long. */
  idleResignSeconds?: number;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void; error(o: object, m: string): void };
  /** Test hook: runs inside the batch transaction after the inserts, before COMMIT. */
  beforeCommit?: (info: { client: pg.Client; sequenced: number }) => Promise<void>;
}

export interface BatchResult {
  leader: boolean;
  sequenced: number;
  size: number;
  checkpoint: Checkpoint | null;
}

interface Head {
  seq: number;
  chain: Buffer;
  txid: string;
  queueId: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class AuditSequencer {
  private client: pg.Client | null = null;
  private leader = false;
  private frontier: MerkleFrontier | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private busy: Promise<unknown> = Promise.resolve();
  private readonly backoff: Backoff;
  readonly opts: Required<Omit<SequencerOptions, 'dbRole' | 'log' | 'beforeCommit'>> &
    Pick<SequencerOptions, 'dbRole' | 'log' | 'beforeCommit'>;
  /** Time the last batch finished and how far behind the oldest unsequenced event was. */
  lastLagMs = 0;

  constructor(options: SequencerOptions) {
    this.opts = {
      batchSize: 2000,
      intervalMs: 200,
      retryMs: 1000,
      failureRetryMs: 250,
      failureRetryMaxMs: 10_000,
      checkpointEvery: 1000,
      checkpointSeconds: 10,
      idleResignSeconds: 3600,
      ...options,
    };
    this.backoff = new Backoff(this.opts.failureRetryMs, this.opts.failureRetryMaxMs);
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Backend pid of the sequencer's connection (for tests that kill it). */
  get backendPid(): number | null {
    return (this.client as unknown as { processID?: number } | null)?.processID ?? null;
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      connectionString: this.opts.connectionString,
      application_name: SEQUENCER_APPLICATION_NAME,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    // Stays for the client's whole life: a broken connection can emit 'error' more than once, and
    // an 'error' with no handler would end the process. Only the connection in use is dropped.
    client.on('error', (e) => {
      if (client !== this.client) return;
      this.opts.log?.warn({ err: { type: e.name, code: (e as { code?: string }).code } }, 'audit sequencer connection lost');
      this.dropConnection();
    });
    try {
      await client.connect();
      if (this.opts.dbRole) await client.query(`SET ROLE ${client.escapeIdentifier(this.opts.dbRole)}`);
    } catch (e) {
      client.end().catch(() => {});
      throw e;
    }
    this.client = client;
    return client;
  }

  private dropConnection(): void {
    const c = this.client;
    this.client = null;
    this.leader = false;
    this.frontier = null;
    if (c) c.end().catch(() => {});
  }

  /** Tries to become the leader; true when this instance holds the lock. */
  async tryAcquire(): Promise<boolean> {
    if (this.leader && this.client) return true;
    const client = await this.connect();
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [SEQUENCER_LOCK_KEY]);
    this.leader = r.rows[0]!.ok;
    return this.leader;
  }

  /** One batch (one transaction). Serialised: concurrent calls on one instance run one after the other. */
  runOnce(): Promise<BatchResult> {
    const next = this.busy.then(
      () => this.batch(),
      () => this.batch(),
    );
    this.busy = next.catch(() => {});
    return next;
  }

  /** Runs batches until every committed queue row is sequenced (or the timeout passes). */
  async drain(timeoutMs = 20_000): Promise<number> {
    const until = Date.now() + timeoutMs;
    let total = 0;
    for (;;) {
      const r = await this.runOnce();
      total += r.sequenced;
      if (r.leader && r.sequenced === 0 && !(await this.hasBacklog())) return total;
      if (Date.now() > until) throw new Error('audit sequencer did not drain in time');
      if (r.sequenced === 0) await sleep(20);
    }
  }

  /** Are there committed queue rows after the head (including those beyond the xmin horizon)? */
  async hasBacklog(): Promise<boolean> {
    const client = await this.connect();
    const r = await client.query<{ b: boolean }>(`SELECT EXISTS (
      SELECT 1 FROM audit_queue q WHERE (q.txid, q.id) > (
        SELECT coalesce(h.queue_txid, -1), coalesce(h.queue_id, -1) FROM (SELECT 1) one
        LEFT JOIN LATERAL (SELECT queue_txid, queue_id FROM audit_log ORDER BY seq DESC LIMIT 1) h ON true)) AS b`);
    return r.rows[0]!.b;
  }

  private async batch(): Promise<BatchResult> {
    let client: pg.Client;
    try {
      if (!(await this.tryAcquire())) return { leader: false, sequenced: 0, size: 0, checkpoint: null };
      client = this.client!;
    } catch (e) {
      this.dropConnection();
      throw e;
    }
    const q = arrayQuery(client);
    try {
      await client.query('BEGIN');
      const headRows = await q('SELECT seq, chain_hash, queue_txid, queue_id FROM audit_log ORDER BY seq DESC LIMIT 1', []);
      const h = headRows[0];
      const head: Head = h
        ? { seq: Number(h[0]), chain: h[1] as Buffer, txid: String(h[2]), queueId: String(h[3]) }
        : { seq: 0, chain: ZERO_HASH, txid: '-1', queueId: '-1' };
      if (!this.frontier || this.frontier.size !== head.seq) this.frontier = await this.loadFrontier(head.seq, q);

      const rows = await q(
        `SELECT q.id, q.txid, extract(epoch FROM clock_timestamp() - q.occurred_at) * 1000, ${EVENT_COLUMNS('q.')}
         FROM audit_queue q
         WHERE (q.txid, q.id) > ($1::bigint, $2::bigint)
           AND q.txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
         ORDER BY q.txid, q.id
         LIMIT $3`,
        [head.txid, head.queueId, this.opts.batchSize],
      );

      const frontier = this.frontier.clone();
      let chain = head.chain;
      const seqs: number[] = [];
      const queueIds: string[] = [];
      const queueTxids: string[] = [];
      const leaves: Buffer[] = [];
      const chains: Buffer[] = [];
      const nodeLevels: number[] = [];
      const nodeIdx: number[] = [];
      const nodeHashes: Buffer[] = [];
      const onNode = (level: number, idx: number, hash: Buffer): void => {
        if (level < MIN_STORED_LEVEL) return;
        nodeLevels.push(level);
        nodeIdx.push(idx);
        nodeHashes.push(hash);
      };
      let seq = head.seq;
      let lag = 0;
      for (const r of rows) {
        seq += 1;
        const leaf = eventLeafHash(rowToEvent(seq, r, 3));
        chain = chainHash(chain, leaf);
        frontier.append(leaf, onNode);
        seqs.push(seq);
        queueIds.push(String(r[0]));
        queueTxids.push(String(r[1]));
        leaves.push(leaf);
        chains.push(chain);
        lag = Math.max(lag, Number(r[2]));
      }
      if (rows.length) {
        await q(
          `INSERT INTO audit_log (seq, queue_id, queue_txid, event_id, occurred_at, actor_id, actor_agency_id, actor_role, action,
             resource_type, resource_id, case_id, subject_id, outcome, reason, consent_ids, request_id, client_ip, client_request_id, leaf_hash, chain_hash, sequenced_at)
           SELECT w.seq, q.id, q.txid, q.event_id, q.occurred_at, q.actor_id, q.actor_agency_id, q.actor_role, q.action,
             q.resource_type, q.resource_id, q.case_id, q.subject_id, q.outcome, q.reason, q.consent_ids, q.request_id, q.client_ip, q.client_request_id, w.leaf, w.chain,
             clock_timestamp()
           FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bytea[], $5::bytea[]) AS w(seq, qtxid, qid, leaf, chain)
           JOIN audit_queue q ON (q.txid, q.id) = (w.qtxid, w.qid)`,
          [seqs, queueTxids, queueIds, leaves, chains],
        );
        if (nodeLevels.length) {
          await q('INSERT INTO audit_merkle_node (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])', [
            nodeLevels,
            nodeIdx,
            nodeHashes,
          ]);
        }
      }
      const checkpoint = await this.maybeCheckpoint(q, frontier, chain);
      await this.opts.beforeCommit?.({ client, sequenced: rows.length });
      await client.query('COMMIT');
      this.frontier = frontier;
      this.lastLagMs = lag;
      return { leader: true, sequenced: rows.length, size: frontier.size, checkpoint };
    } catch (e) {
      // Nothing of this batch is kept; the next one starts again from the committed head.
      this.frontier = null;
      try {
        await client.query('ROLLBACK');
      } catch {
        this.dropConnection();
      }
      throw e;
    }
  }

  private async loadFrontier(size: number, q: ReturnType<typeof arrayQuery>): Promise<MerkleFrontier> {
    const refs = frontierRefs(size);
    const hashes = await fetchSubtrees(q, refs);
    return MerkleFrontier.from(
      size,
      refs.map((r) => hashes.get(subtreeKey(r))!),
    );
  }

  private async maybeCheckpoint(q: ReturnType<typeof arrayQuery>, frontier: MerkleFrontier, chain: Buffer): Promise<Checkpoint | null> {
    const lastRows = await q(`${CHECKPOINT_SELECT} ORDER BY id DESC LIMIT 1`, []);
    const last: CheckpointRow | null = lastRows[0] ? rowToCheckpoint(lastRows[0]) : null;
    const now = Date.now();
    const size = frontier.size;
    let due: boolean;
    if (!last) due = true;
    else if (size > last.treeSize) {
      const oldest = await q('SELECT extract(epoch FROM now() - occurred_at) FROM audit_log WHERE seq = $1', [last.treeSize + 1]);
      const ageS = oldest[0] ? Number(oldest[0][0]) : 0;
      due =
        size - last.treeSize >= this.opts.checkpointEvery ||
        ageS >= this.opts.checkpointSeconds ||
        now - Date.parse(last.signedAt) >= this.opts.checkpointSeconds * 1000;
    } else {
      due = now - Date.parse(last.signedAt) >= this.opts.idleResignSeconds * 1000;
    }
    if (!due) return null;
    // Never back in time: a clock step backwards keeps the previous time.
    const signedAt = new Date(Math.max(now, last ? Date.parse(last.signedAt) : 0)).toISOString();
    const cp = signCheckpoint(this.opts.signing, {
      treeSize: size,
      rootHash: frontier.root().toString('hex'),
      chainHash: chain.toString('hex'),
      signedAt,
    });
    await q(
      "INSERT INTO audit_checkpoint (tree_size, root_hash, chain_hash, signed_at, key_id, signature) VALUES ($1, decode($2, 'hex'), decode($3, 'hex'), $4, $5, $6)",
      [cp.treeSize, cp.rootHash, cp.chainHash, cp.signedAt, cp.keyId, cp.signature],
    );
    return cp;
  }

  /** Forces a checkpoint of the current head (e.g. before an export). */
  async checkpointNow(): Promise<BatchResult> {
    const saved = this.opts.checkpointEvery;
    this.opts.checkpointEvery = 0;
    try {
      return await this.runOnce();
    } finally {
      this.opts.checkpointEvery = saved;
    }
  }

  /** Starts the background loop: acquire leadership (retrying), then sequence every interval. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        let delay = this.opts.intervalMs;
        try {
          const r = await this.runOnce();
          this.backoff.reset();
          if (!r.leader) delay = this.opts.retryMs;
          else if (r.sequenced >= this.opts.batchSize) delay = 0;
        } catch (e) {
          // Reconnects on the next batch; backing off while the database stays away.
          delay = this.backoff.next();
          this.opts.log?.error(
            { err: { type: (e as Error).name, code: (e as { code?: string }).code }, retryInMs: delay },
            'audit sequencer batch failed',
          );
        }
        if (delay > 0 && this.running) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, delay);
            this.wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
          this.wake = null;
        }
      }
    })();
  }

  /** Stops the loop and releases the lock (by closing the session). */
  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
    await this.busy;
    // One last batch: the events of requests that finished during shutdown are sequenced now.
    if (wasRunning && this.leader) await this.runOnce().catch(() => {});
    const c = this.client;
    this.client = null;
    this.leader = false;
    this.frontier = null;
    if (c) await c.end().catch(() => {});
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    auditSequencer: AuditSequencer;
  }
}
