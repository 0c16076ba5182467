import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AuditSequencer, type SequencerOptions } from '../../src/modules/audit/audit.sequencer.js';
import type { AuditEvent } from '../../src/plugins/app/audit.js';
import type { TestContext } from '../helpers/app.js';

export const ctx = (over: Partial<{ actorId: string | null; actorAgencyId: string | null }> = {}) => ({
  actorId: over.actorId ?? null,
  actorAgencyId: over.actorAgencyId ?? null,
  actorRole: 'social_worker',
  requestId: randomUUID(),
  clientIp: '127.0.0.1',
});

export const event = (i: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  action: 'case.read',
  resourceType: 'case',
  resourceId: `r-${i}`,
  caseId: randomUUID(),
  subjectId: null,
  outcome: 'allowed',
  reason: 'own_agency',
  ...over,
});

/** Records `n` events, each in its own autocommitted statement through AuditService.record. */
export async function recordEvents(t: TestContext, n: number, over: Partial<AuditEvent> = {}): Promise<void> {
  for (let i = 0; i < n; i++) await t.app.audit.record(t.orm.em.fork(), ctx(), event(i, over));
}

export function sequencer(t: TestContext, opts: Partial<SequencerOptions> = {}): AuditSequencer {
  return new AuditSequencer({
    connectionString: t.databaseUrl,
    signing: t.app.keys.signing,
    checkpointEvery: 10,
    checkpointSeconds: 3600,
    idleResignSeconds: 3600,
    ...opts,
  });
}

export async function one<T = Record<string, unknown>>(sql: pg.Pool, text: string, values: unknown[] = []): Promise<T> {
  return (await sql.query(text, values)).rows[0] as T;
}

export async function logStats(
  sql: pg.Pool,
): Promise<{ n: number; min: number | null; max: number | null; distinctQueue: number; queue: number }> {
  const r = await one<{ n: number; min: string | null; max: string | null; dq: number; q: number }>(
    sql,
    'SELECT count(*)::int AS n, min(seq) AS min, max(seq) AS max, count(DISTINCT queue_id)::int AS dq, (SELECT count(*)::int FROM audit_queue) AS q FROM audit_log',
  );
  return {
    n: r.n,
    min: r.min === null ? null : Number(r.min),
    max: r.max === null ? null : Number(r.max),
    distinctQueue: r.dq,
    queue: r.q,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One batch that sequences something. The xmin horizon is cluster-wide: a transaction open in a
 * parallel test file can hold a batch back for a moment, so retry until rows arrive.
 */
export async function runSome(s: AuditSequencer, timeoutMs = 10_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await s.runOnce();
    if (r.sequenced > 0) return r.sequenced;
    if (Date.now() > until) throw new Error('nothing was sequenced');
    await sleep(20);
  }
}
