// What the drill observes: who holds the audit sequencer's lock on every node, each API's
// readiness, sessions across processes, and afterwards the database's own account of the writes.
import pg from 'pg';
import { DATABASE } from './api.js';
import type { Cluster, Node } from './cluster.js';
import type { Client, Op } from './load.js';
import { sleep } from './procs.js';

// Loaded at run time from the sequencer itself (one source of the key); a static import would make
// this small program type-check the whole API.
const sequencerModule = '../../backend/src/modules/audit/audit.sequencer.js';
const { SEQUENCER_LOCK_KEY } = (await import(sequencerModule)) as { SEQUENCER_LOCK_KEY: string };
const key = BigInt(SEQUENCER_LOCK_KEY);
// A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits), objsubid 1.
const LOCK_HI = String(key >> 32n);
const LOCK_LO = String(key & 0xffffffffn);

export interface LockSample {
  at: number;
  /** Logins (one per API process) holding the sequencer's lock, over every node that answered. */
  holders: string[];
  nodesAnswering: number;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000, statement_timeout: 2_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Samples every node directly (not through HAProxy), so that a holder on an old primary that
 * still ran would be seen too: the lock must never be held twice in the cluster.
 */
export function sampleSequencerLock(cluster: Cluster, everyMs = 250): { samples: LockSample[]; stop(): Promise<void> } {
  const samples: LockSample[] = [];
  let running = true;
  const sample = async (node: Node): Promise<string[] | null> => {
    try {
      const rows = await query<{ usename: string }>(
        cluster.nodeUrl(node),
        `SELECT a.usename FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1`,
        [LOCK_HI, LOCK_LO],
      );
      return rows.map((r) => r.usename);
    } catch {
      return null;
    }
  };
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const perNode = await Promise.all(cluster.nodes.map(sample));
      samples.push({ at, holders: perNode.flatMap((h) => h ?? []), nodesAnswering: perNode.filter((h) => h !== null).length });
      await sleep(everyMs);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** The longest stretch (ms) without any holder, and the most holders ever seen at once. */
export function lockFigures(samples: LockSample[]): { maxHolders: number; longestWithoutHolderMs: number } {
  let longest = 0;
  let since: number | null = null;
  for (const s of samples) {
    if (s.holders.length === 0) since ??= s.at;
    else if (since !== null) {
      longest = Math.max(longest, s.at - since);
      since = null;
    }
  }
  return { maxHolders: Math.max(0, ...samples.map((s) => s.holders.length)), longestWithoutHolderMs: longest };
}

export interface ReadySample {
  at: number;
  /** When the last answer came: a sample that overlaps an API's kill says nothing about readiness. */
  end: number;
  ready: (number | null)[];
}

/** Samples `GET /api/ready` of every API. */
export function sampleReadiness(apis: string[], everyMs = 500): { samples: ReadySample[]; stop(): Promise<void> } {
  const samples: ReadySample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const ready = await Promise.all(
        apis.map((u) =>
          fetch(`${u}/api/ready`, { signal: AbortSignal.timeout(3_000) }).then(
            (r) => r.status,
            () => null,
          ),
        ),
      );
      samples.push({ at, end: Date.now(), ready });
      await sleep(everyMs);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/**
 * Per API, over [from, to): how long `/api/ready` said not ready in all, and when it was ready
 * again after the last not-ready sample (ms after `from`; 0 when it never was not ready).
 */
export function readinessFigures(
  samples: ReadySample[],
  from: number,
  to: number,
): { notReadyMs: number; readyAgainAfterMs: number | null }[] {
  const window = samples.filter((s) => s.at >= from && s.end < to);
  const apis = window[0]?.ready.length ?? 0;
  return Array.from({ length: apis }, (_, i) => {
    let notReadyMs = 0;
    let lastNotReady: number | null = null;
    let readyAgain: number | null = 0;
    for (const [k, s] of window.entries()) {
      const next = window[k + 1]?.at ?? s.at;
      if (s.ready[i] !== 200) {
        notReadyMs += next - s.at;
        lastNotReady = s.at;
        readyAgain = null;
      } else if (lastNotReady !== null && readyAgain === null) readyAgain = s.at - from;
    }
    return { notReadyMs, readyAgainAfterMs: readyAgain };
  });
}

export interface SessionCheck {
  phase: string;
  signedInOn: number;
  usedOn: number;
  usableOnOther: boolean;
  /** ms until the other process refused the signed-out session (null: never, within 3 s). */
  refusedOnOtherAfterMs: number | null;
}

/**
 * Sign in on API `a`, use the session on API `b`; sign out on `b`, and the session is refused on `a`.
 * Sign-out reaches other processes' session caches by NOTIFY: the refusal is awaited briefly and its delay reported.
 */
export async function checkSessions(client: Client, phase: string, a: number, b: number): Promise<SessionCheck> {
  const token = await client.login(a, 'coordinator');
  const used = await client.call(b, 'GET', '/api/me', token);
  const out = await client.call(b, 'POST', '/api/auth/logout', token);
  if (out.status !== 204) throw new Error(`${phase}: sign-out on API ${b + 1} answered ${out.status}`);
  const signedOut = Date.now();
  let refused: number | null = null;
  while (Date.now() - signedOut < 3_000) {
    const r = await client.call(a, 'GET', '/api/me', token);
    if (r.status === 401) {
      refused = Date.now() - signedOut;
      break;
    }
    await sleep(20);
  }
  return { phase, signedInOn: a + 1, usedOn: b + 1, usableOnOther: used.status === 200, refusedOnOtherAfterMs: refused };
}

export interface Integrity {
  ackedEntries: number;
  ackedConsents: number;
  lostEntries: number;
  lostConsents: number;
  entriesWithoutAudit: number;
  auditWithoutEntry: number;
  consentsWithoutAudit: number;
  auditWithoutConsent: number;
  auditEvents: number;
  auditSeqGaps: number;
  auditDuplicateEvents: number;
  queueRowsNotSequenced: number;
  drainMs: number;
}

/** After the load: waits for the sequencer to catch up, then compares the writes, their audit events and the log's sequence. */
export async function checkIntegrity(cluster: Cluster, ops: Op[]): Promise<Integrity> {
  const url = cluster.haproxyUrl('postgres', cluster.superPassword, DATABASE);
  const started = Date.now();
  let pending = -1;
  while (Date.now() - started < 60_000) {
    const [r] = await query<{ n: number }>(
      url,
      'SELECT count(*)::int AS n FROM audit_queue q WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.queue_id = q.id)',
    ).catch(() => [{ n: -1 }]);
    pending = r!.n;
    if (pending === 0) break;
    await sleep(250);
  }
  const drainMs = Date.now() - started;
  const acked = (kind: Op['kind']): string[] => ops.filter((o) => o.kind === kind && o.id).map((o) => o.id!);
  const entries = acked('entry');
  const consents = acked('consent');
  const count = async (sql: string, params: unknown[] = []): Promise<number> => (await query<{ n: number }>(url, sql, params))[0]!.n;
  const missing = (table: string, ids: string[]): Promise<number> =>
    count(`SELECT count(*)::int AS n FROM unnest($1::uuid[]) AS a(id) WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.id = a.id)`, [
      ids,
    ]);
  const withoutAudit = (table: string, action: string): Promise<number> =>
    count(
      `SELECT count(*)::int AS n FROM ${table} t WHERE NOT EXISTS (
         SELECT 1 FROM audit_log a WHERE a.action = $1 AND a.outcome = 'allowed' AND a.resource_id = t.id::text)`,
      [action],
    );
  const auditWithout = (table: string, action: string): Promise<number> =>
    count(
      `SELECT count(*)::int AS n FROM audit_log a WHERE a.action = $1 AND a.outcome = 'allowed'
         AND NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.id::text = a.resource_id)`,
      [action],
    );
  const [seq] = await query<{ n: number; max: number; events: number }>(
    url,
    'SELECT count(*)::int AS n, coalesce(max(seq), 0)::int AS max, count(DISTINCT event_id)::int AS events FROM audit_log',
  );
  return {
    ackedEntries: entries.length,
    ackedConsents: consents.length,
    lostEntries: await missing('journal_entry', entries),
    lostConsents: await missing('consent', consents),
    entriesWithoutAudit: await withoutAudit('journal_entry', 'entry.create'),
    auditWithoutEntry: await auditWithout('journal_entry', 'entry.create'),
    consentsWithoutAudit: await withoutAudit('consent', 'consent.record'),
    auditWithoutConsent: await auditWithout('consent', 'consent.record'),
    auditEvents: seq!.n,
    auditSeqGaps: seq!.max - seq!.n,
    auditDuplicateEvents: seq!.n - seq!.events,
    queueRowsNotSequenced: pending,
    drainMs,
  };
}
