import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import type { AuditContext, AuditService } from '../../plugins/app/audit.js';
import { cutoffOf, decideRetention, type RetentionFacts, type RetentionPolicy } from './retention.policy.js';

/** A record the period has passed for, with what the decision needs (ids and dates only). */
interface Candidate {
  kind: 'case' | 'concern';
  id: string;
  subjectId: string | null;
  status: string;
  birthDate: string;
  lastEntryAt: string;
}

export interface Classified {
  due: { candidate: Candidate; rule: string }[];
  kept: { candidate: Candidate; exception: string }[];
}

// A closed case's last entry: the latest of its closing, its journal, plan, meetings and documents.
const CASES_SQL = `SELECT COALESCE(json_agg(x ORDER BY x."lastEntryAt", x.id), '[]') AS rows FROM (
  SELECT 'case' AS kind, sc.id, sc.subject_id AS "subjectId", sc.status, to_char(s.birth_date, 'YYYY-MM-DD') AS "birthDate",
    GREATEST(sc.closed_at, sc.updated_at, j.at, p.at, f.at, m.at, m.day, d.at) AS "lastEntryAt"
  FROM support_case sc JOIN subject s ON s.id = sc.subject_id
  LEFT JOIN LATERAL (SELECT max(created_at) AS at FROM journal_entry WHERE case_id = sc.id) j ON true
  LEFT JOIN LATERAL (SELECT max(updated_at) AS at FROM plan_item WHERE case_id = sc.id) p ON true
  LEFT JOIN LATERAL (SELECT max(u.created_at) AS at FROM plan_item_follow_up u JOIN plan_item i ON i.id = u.plan_item_id
                     WHERE i.case_id = sc.id) f ON true
  LEFT JOIN LATERAL (SELECT max(created_at) AS at, max(date)::timestamptz AS day FROM meeting WHERE case_id = sc.id) m ON true
  LEFT JOIN LATERAL (SELECT max(created_at) AS at FROM document WHERE case_id = sc.id) d ON true
  WHERE sc.status = 'closed' AND sc.closed_at < ?::timestamptz) x
  WHERE x."lastEntryAt" < ?::timestamptz`;

// A concern that led to no case: its last entry is its decision.
const CONCERNS_SQL = `SELECT COALESCE(json_agg(x ORDER BY x."lastEntryAt", x.id), '[]') AS rows FROM (
  SELECT 'concern' AS kind, c.id, NULL AS "subjectId", c.status, to_char(c.birth_date, 'YYYY-MM-DD') AS "birthDate",
    COALESCE(c.decided_at, c.status_changed_at) AS "lastEntryAt"
  FROM concern c WHERE c.status = 'closed' AND c.case_id IS NULL AND COALESCE(c.decided_at, c.status_changed_at) < ?::timestamptz) x`;

/** Every record past its period, sorted into what is due and what an exception keeps. */
export async function classify(em: EntityManager, policy: RetentionPolicy, now: Date): Promise<Classified> {
  const caseCutoff = cutoffOf(policy.cases.eraseAfterYears, now).toISOString();
  const concernCutoff = cutoffOf(policy.concerns.eraseAfterYears, now).toISOString();
  const [cases] = await sql<{ rows: Candidate[] }>(em, CASES_SQL, [caseCutoff, caseCutoff]);
  const [concerns] = await sql<{ rows: Candidate[] }>(em, CONCERNS_SQL, [concernCutoff]);
  const out: Classified = { due: [], kept: [] };
  for (const c of [...cases!.rows, ...concerns!.rows]) {
    const facts: RetentionFacts = { kind: c.kind, status: c.status, lastEntryAt: new Date(c.lastEntryAt), birthDate: c.birthDate };
    const d = decideRetention(policy, facts, now);
    if (d.erase) out.due.push({ candidate: c, rule: d.rule });
    else if (d.exception) out.kept.push({ candidate: c, exception: d.exception });
  }
  return out;
}

export interface RetentionRun {
  erased: number;
  failed: number;
  kept: number;
  /** Ended or expired citizen sessions removed. */
  citizenSessionsSwept: number;
}

/** The job's own audit context: no user, no request. */
export function systemContext(): AuditContext {
  return { actorId: null, actorAgencyId: null, actorRole: 'system', requestId: randomUUID(), clientIp: null };
}

/**
 * Erases what is due, in batches; each record in its own transaction with its audit event, so
 * one that cannot be erased (a row of another table still holding it) leaves the others done.
 * A rerun finds nothing it already erased: the rows are gone and `retention_erasure` holds the
 * record of each id once (unique).
 */
export async function eraseDue(
  fork: () => EntityManager,
  audit: AuditService,
  policy: RetentionPolicy,
  log: FastifyBaseLogger,
  now: Date = new Date(),
): Promise<RetentionRun> {
  const { due, kept } = await classify(fork(), policy, now);
  const run: RetentionRun = { erased: 0, failed: 0, kept: kept.length, citizenSessionsSwept: 0 };
  for (let i = 0; i < due.length; i += policy.batchSize) {
    for (const { candidate: c, rule } of due.slice(i, i + policy.batchSize)) {
      try {
        const done = await transaction(fork(), async (tx) => {
          const fn = c.kind === 'case' ? 'retention_erase_case' : 'retention_erase_concern';
          const [r] = await sql<{ r: unknown }>(tx, `SELECT ${fn}(?::uuid, ?, ?::timestamptz) AS r`, [c.id, rule, c.lastEntryAt]);
          if (r?.r === null || r?.r === false) return false;
          await audit.record(tx, systemContext(), {
            action: 'retention.erase',
            resourceType: c.kind,
            resourceId: c.id,
            caseId: c.kind === 'case' ? c.id : null,
            subjectId: c.subjectId,
            outcome: 'allowed',
            reason: rule,
          });
          return true;
        });
        if (done) run.erased += 1;
      } catch (e) {
        run.failed += 1;
        log.warn(
          { kind: c.kind, id: c.id, err: { type: (e as Error).name, code: (e as { code?: string }).code } },
          'retention: not erased',
        );
      }
    }
  }
  // Citizen sign-ins hold the personal identity number the provider vouched for: an ended or
  // expired session or sign-in flow serves nothing (each run also sweeps what no new sign-in did).
  const [swept] = await sql<{ sessions: number; flows: number }>(
    fork(),
    `WITH s AS (DELETE FROM citizen_session WHERE expires_at < now() OR ended_at IS NOT NULL RETURNING 1),
          f AS (DELETE FROM citizen_flow WHERE expires_at < now() RETURNING 1)
     SELECT (SELECT count(*)::int FROM s) AS sessions, (SELECT count(*)::int FROM f) AS flows`,
  );
  run.citizenSessionsSwept = swept?.sessions ?? 0;
  log.info(
    { erased: run.erased, failed: run.failed, kept: run.kept, citizenSessionsSwept: run.citizenSessionsSwept },
    'retention run done',
  );
  return run;
}
