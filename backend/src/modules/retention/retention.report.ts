import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../db/sql.js';
import type { RetentionPolicy } from './retention.policy.js';
import type { RetentionReport } from './retention.schemas.js';
import { classify } from './retention.service.js';

type Kind = 'case' | 'concern';

const ERASED_SQL = `SELECT
  (SELECT COALESCE(json_agg(t ORDER BY t.kind, t.rule), '[]') FROM (
     SELECT kind, rule, count(*)::int AS count FROM retention_erasure GROUP BY kind, rule) t) AS totals,
  (SELECT COALESCE(json_agg(r ORDER BY r."erasedAt" DESC, r.id), '[]') FROM (
     SELECT kind, resource_id AS id, reference, rule, last_entry_at AS "lastEntryAt", erased_at AS "erasedAt",
            subject_erased AS "subjectErased"
     FROM retention_erasure ORDER BY erased_at DESC, id LIMIT ?) r) AS recent`;

function counted<K extends string>(items: { kind: Kind; key: string }[], name: K): ({ kind: Kind; count: number } & Record<K, string>)[] {
  const m = new Map<string, { kind: Kind; key: string; count: number }>();
  for (const i of items) {
    const k = `${i.kind}:${i.key}`;
    const e = m.get(k) ?? { kind: i.kind, key: i.key, count: 0 };
    e.count += 1;
    m.set(k, e);
  }
  return [...m.values()].map((e) => ({ kind: e.kind, [name]: e.key, count: e.count }) as { kind: Kind; count: number } & Record<K, string>);
}

/** What is due, what an exception keeps, and what was erased when under which rule. */
export async function retentionReport(
  em: EntityManager,
  policy: RetentionPolicy,
  limit: number,
  now = new Date(),
): Promise<RetentionReport> {
  const { due, kept } = await classify(em, policy, now);
  const [erased] = await sql<{ totals: RetentionReport['erasedTotals']; recent: RetentionReport['erased'] }>(em, ERASED_SQL, [limit]);
  return {
    generatedAt: now.toISOString(),
    policy: {
      cases: { rule: policy.cases.rule, basis: policy.cases.basis, eraseAfterYears: policy.cases.eraseAfterYears },
      concerns: { rule: policy.concerns.rule, basis: policy.concerns.basis, eraseAfterYears: policy.concerns.eraseAfterYears },
      exceptions: policy.exceptions.map((e) => ({ id: e.id, basis: e.basis, birthDays: e.birthDays })),
      schedule: policy.schedule,
      timezone: policy.timezone,
    },
    due: counted(
      due.map((d) => ({ kind: d.candidate.kind, key: d.rule })),
      'rule',
    ),
    kept: counted(
      kept.map((k) => ({ kind: k.candidate.kind, key: k.exception })),
      'exception',
    ),
    erasedTotals: erased!.totals,
    erased: erased!.recent.map((r) => ({
      ...r,
      lastEntryAt: new Date(r.lastEntryAt).toISOString(),
      erasedAt: new Date(r.erasedAt).toISOString(),
    })),
  };
}
