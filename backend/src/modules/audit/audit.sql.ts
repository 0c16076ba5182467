/** SQL shared by the sequencer, the verifier and the auditor API. */
import type pg from 'pg';
import { perfectRoot, type LogEvent, type SubtreeRef } from './audit.crypto.js';

/** Nodes below this level are not stored; they are recomputed from at most 2^level leaf hashes. */
export const MIN_STORED_LEVEL = 4;

/** The columns of an event, in the order `rowToEvent` reads them (text only: no lossy parsing). */
export const EVENT_COLUMNS = (p = ''): string =>
  [
    `${p}event_id`,
    `to_char(${p}occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    `${p}actor_id`,
    `${p}actor_agency_id`,
    `${p}actor_role`,
    `${p}action`,
    `${p}resource_type`,
    `${p}resource_id`,
    `${p}case_id`,
    `${p}subject_id`,
    `${p}outcome`,
    `${p}reason`,
    `array_to_string(${p}consent_ids, ',')`,
    `${p}request_id`,
    `${p}client_ip`,
  ].join(', ');

export const EVENT_COLUMN_COUNT = 15;

type Cell = string | null;

export function rowToEvent(seq: number, r: readonly unknown[], o: number): LogEvent {
  const c = (i: number): Cell => r[o + i] as Cell;
  const consents = c(12);
  return {
    seq,
    eventId: c(0)!,
    occurredAt: c(1)!,
    actorId: c(2),
    actorAgencyId: c(3),
    actorRole: c(4),
    action: c(5)!,
    resourceType: c(6)!,
    resourceId: c(7),
    caseId: c(8),
    subjectId: c(9),
    outcome: c(10)!,
    reason: c(11),
    consentIds: consents ? consents.split(',') : [],
    requestId: c(13),
    clientIp: c(14),
  };
}

/**
 * A keyset page of the log: rows of `audit_log` past a sequence number, read along its primary
 * key. Sequence numbers are given once, in order, and rows never change, so a walk by `seq` is
 * stable while events are written: new events land beyond the head, never inside a page.
 * `$1` is the cursor, `$2` the row limit; `where` starts with AND (its parameters from `$3`).
 */
export const keysetPageSql = (direction: 'before' | 'after', columns: string, where: string): string => `
  WITH page AS (
    SELECT * FROM audit_log WHERE seq ${direction === 'before' ? '<' : '>'} $1 ${where}
    ORDER BY seq ${direction === 'before' ? 'DESC' : 'ASC'} LIMIT $2
  )
  ${columns}
  FROM page p LEFT JOIN app_user u ON u.id = p.actor_id LEFT JOIN agency a ON a.id = p.actor_agency_id
  ORDER BY p.seq ${direction === 'before' ? 'DESC' : 'ASC'}`;

export type ArrayQuery = (text: string, values: unknown[]) => Promise<unknown[][]>;

export function arrayQuery(client: pg.ClientBase): ArrayQuery {
  return async (text, values) => (await client.query({ text, values, rowMode: 'array' })).rows as unknown[][];
}

const key = (r: SubtreeRef): string => `${r.level}:${r.idx}`;

/**
 * Fetches the hashes of perfect subtrees in two round trips: stored nodes from audit_merkle_node,
 * lower ones recomputed from the leaf hashes in audit_log.
 */
export async function fetchSubtrees(q: ArrayQuery, refs: SubtreeRef[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const stored = refs.filter((r) => r.level >= MIN_STORED_LEVEL);
  const low = refs.filter((r) => r.level < MIN_STORED_LEVEL);
  if (stored.length) {
    const rows = await q(
      'SELECT level, idx, hash FROM audit_merkle_node n JOIN unnest($1::smallint[], $2::bigint[]) AS w(l, i) ON n.level = w.l AND n.idx = w.i',
      [stored.map((r) => r.level), stored.map((r) => r.idx)],
    );
    for (const [level, idx, hash] of rows) out.set(`${Number(level)}:${Number(idx)}`, hash as Buffer);
  }
  if (low.length) {
    const seqs = new Set<number>();
    for (const r of low) for (let i = 0; i < 2 ** r.level; i++) seqs.add(r.idx * 2 ** r.level + i + 1);
    const rows = await q('SELECT seq, leaf_hash FROM audit_log WHERE seq = ANY($1::bigint[])', [[...seqs]]);
    const leaves = new Map<number, Buffer>(rows.map(([s, h]) => [Number(s), h as Buffer]));
    for (const r of low) {
      const list: Buffer[] = [];
      for (let i = 0; i < 2 ** r.level; i++) {
        const leaf = leaves.get(r.idx * 2 ** r.level + i + 1);
        if (!leaf) throw new Error(`audit leaf ${r.idx * 2 ** r.level + i + 1} is missing`);
        list.push(leaf);
      }
      out.set(key(r), perfectRoot(list));
    }
  }
  for (const r of refs) if (!out.has(key(r))) throw new Error(`audit tree node ${key(r)} is missing`);
  return out;
}

export const subtreeKey = key;

export interface CheckpointRow {
  id: number;
  treeSize: number;
  rootHash: string;
  chainHash: string;
  signedAt: string;
  keyId: string;
  signature: string;
}

export const CHECKPOINT_SELECT = `SELECT id, tree_size, encode(root_hash, 'hex'), encode(chain_hash, 'hex'),
  to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), key_id, signature FROM audit_checkpoint`;

export function rowToCheckpoint(r: readonly unknown[]): CheckpointRow {
  return {
    id: Number(r[0]),
    treeSize: Number(r[1]),
    rootHash: r[2] as string,
    chainHash: r[3] as string,
    signedAt: r[4] as string,
    keyId: r[5] as string,
    signature: r[6] as string,
  };
}
