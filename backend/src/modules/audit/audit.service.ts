/**
 * The auditor's side of the audit trail: search, CSV, timeline, anomalies, verification,
 * checkpoints, the JSON export for the offline verifier and a subject's log extract with
 * Merkle inclusion proofs. Reads only; the API never changes the audit tables.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type pg from 'pg';
import type { SigningKey } from '../../lib/keys.js';
import { badRequest } from '../../lib/problem.js';
import { deniedBursts, type AnomaliesPolicy, type Anomaly } from './audit.anomalies.js';
import type { AuditOutcome } from '../../plugins/app/audit.js';
import {
  evalPlan,
  pathPlans,
  planRefs,
  publicKeyPem,
  verifyInclusion,
  type Checkpoint,
  type ExtractEvent,
  type VerifyResult,
} from './audit.crypto.js';
import { acquireRaw } from '../../db/sql.js';
import { extractSecrecy, holdBackAgencies, type ExtractSecrecy } from './audit.extract.js';
import { LogVerifier, verifyLogOn, type LogVerifierOptions, type VerifyOutcome } from './audit.verifier.js';
import {
  arrayQuery,
  CHECKPOINT_SELECT,
  EVENT_COLUMNS,
  fetchSubtrees,
  keysetPageSql,
  rowToCheckpoint,
  rowToEvent,
  subtreeKey,
  type ArrayQuery,
} from './audit.sql.js';
import type { EventFilter, EventOut, EventsQuery, TimelineQuery } from './audit.schemas.js';

async function withRaw<T>(em: EntityManager, fn: (q: ArrayQuery, client: pg.ClientBase) => Promise<T>): Promise<T> {
  const { client, release } = await acquireRaw(em);
  try {
    return await fn(arrayQuery(client), client);
  } finally {
    await release();
  }
}

const DISPLAY_TIME = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

function conditionsOf(f: EventFilter, params: unknown[]): string[] {
  const parts: string[] = [];
  const add = (sql: string, v: unknown): void => {
    params.push(v);
    parts.push(sql.replace('$?', `$${params.length}`));
  };
  if (f.subjectId) add('subject_id = $?', f.subjectId);
  if (f.caseId) add('case_id = $?', f.caseId);
  if (f.actorId) add('actor_id = $?', f.actorId);
  if (f.agencyId) add('actor_agency_id = $?', f.agencyId);
  if (f.action) add('action = $?', f.action);
  if (f.outcome === 'allowed') parts.push("outcome = 'allowed'");
  else if (f.outcome) add("outcome <> 'allowed' AND outcome = $?", f.outcome);
  if (f.from) add('occurred_at >= $?::timestamptz', f.from);
  if (f.to) add('occurred_at < $?::timestamptz', f.to);
  return parts;
}

function whereOf(f: EventFilter, params: unknown[]): string {
  const parts = conditionsOf(f, params);
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

function checkPeriod(from?: string, to?: string): void {
  if (from && to && Date.parse(from) > Date.parse(to)) throw badRequest('`from` must not be after `to`.', 'bad_period');
}

function eventOut(r: unknown[]): EventOut {
  const s = (i: number): string | null => (r[i] as string | null) ?? null;
  const consents = s(13);
  return {
    seq: r[0] === null ? null : Number(r[0]),
    sequenced: r[0] !== null,
    eventId: s(1)!,
    occurredAt: s(2)!,
    actorId: s(3),
    actorName: s(16),
    agencyId: s(4),
    agencyName: s(17),
    actorRole: s(5),
    action: s(6)!,
    resourceType: s(7)!,
    resourceId: s(8),
    caseId: s(9),
    subjectId: s(10),
    outcome: s(11) as EventOut['outcome'],
    reason: s(12),
    consentIds: consents ? consents.split(',') : [],
    requestId: s(14),
    clientIp: s(15),
  };
}

const PAGE_COLUMNS = `SELECT p.seq, p.event_id, ${DISPLAY_TIME('p.occurred_at')}, p.actor_id, p.actor_agency_id, p.actor_role, p.action, p.resource_type,
  p.resource_id, p.case_id, p.subject_id, p.outcome, p.reason, array_to_string(p.consent_ids, ','), p.request_id, p.client_ip, u.display_name, a.name`;

const TOTAL_CAP = 100_000;

/** Hard cap of a subject's extract (events, oldest first); the answer says when it is reached. */
export const EXTRACT_LIMIT = 10_000;

/** Actions the service records, offered in the auditor's filter even before they occur in the log. */
export const KNOWN_ACTIONS = [
  'account.password.change',
  'account.session.end',
  'account.sessions.list',
  'account.totp.enrol',
  'account.totp.start',
  'admin.agency.create',
  'admin.user.create',
  'admin.user.deactivate',
  'admin.user.list',
  'agenda.digest',
  'agenda.read',
  'audit.actions',
  'audit.actors',
  'audit.agencies',
  'audit.anomalies',
  'audit.checkpoints',
  'audit.export',
  'audit.export_csv',
  'audit.extract',
  'audit.extract_csv',
  'audit.extract_groups',
  'audit.search',
  'audit.secrecy_review',
  'audit.subject.lookup',
  'audit.timeline',
  'audit.verify',
  'auth.login',
  'auth.logout',
  'auth.mfa',
  'auth.mfa.enrol',
  'auth.oidc.start',
  'auth.password',
  'case.citizen_access_review.create',
  'case.citizen_access_review.read',
  'case.close',
  'case.create',
  'case.list',
  'case.participant.add',
  'case.participant.remove',
  'case.read',
  'case.reopen',
  'case.search',
  'case.stats.read',
  'case.update',
  'citizen.consent.list',
  'citizen.consent.receipt.print',
  'citizen.consent.receipt.read',
  'citizen.consent.withdraw',
  'citizen.consent.withdrawal_receipt.read',
  'citizen.disclosure.read',
  'citizen.extract',
  'citizen.me.read',
  'citizen.request.accept',
  'citizen.request.decline',
  'citizen.request.list',
  'citizen.request.read',
  'citizen.sign_in',
  'citizen.sign_out',
  'consent.expiring',
  'consent.list',
  'consent.matrix',
  'consent.receipt.read',
  'consent.receipt.verify',
  'consent.record',
  'consent.request.cancel',
  'consent.request.create',
  'consent.request.read',
  'consent.withdraw',
  'digest.send',
  'disclosure.read',
  'entry.create',
  'entry.list',
  'meeting.create',
  'meeting.list',
  'plan_item.create',
  'plan_item.update',
  'stats.groups.read',
  'stats.overview.csv',
  'stats.overview.read',
  'subject.create',
  'user.notifications.update',
];

const EXTRACT_CSV_HEADER = [
  'seq',
  'occurred_at',
  'actor_id',
  'actor_name',
  'agency_id',
  'agency_name',
  'actor_role',
  'action',
  'resource_type',
  'resource_id',
  'case_id',
  'subject_id',
  'outcome',
  'reason',
  'consent_ids',
  'request_id',
  'proof',
];

/** Formula-injection-safe CSV cell: always quoted; a leading = + - @ tab or CR is neutralised. */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '""';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

const CSV_HEADER = [
  'seq',
  'occurred_at',
  'actor_id',
  'actor_name',
  'agency_id',
  'agency_name',
  'actor_role',
  'action',
  'resource_type',
  'resource_id',
  'case_id',
  'subject_id',
  'outcome',
  'reason',
  'consent_ids',
  'request_id',
  'client_ip',
];

export { acquireRaw, verifyLogOn };

export class AuditQueryService {
  /** This process's verification state (verified prefix, last full run). */
  readonly verifier: LogVerifier;

  constructor(
    private readonly signing: SigningKey,
    private readonly anomalies: AnomaliesPolicy,
    private readonly exportMaxRows: number,
    verifierOptions: LogVerifierOptions = {},
  ) {
    this.verifier = new LogVerifier(signing.publicKey, verifierOptions);
  }

  get timezone(): string {
    return this.anomalies.timezone;
  }

  publicKey(): { alg: 'Ed25519'; keyId: string; publicKey: string; pem: string } {
    return {
      alg: 'Ed25519',
      keyId: this.signing.kid,
      publicKey: Buffer.from(this.signing.publicKey).toString('base64'),
      pem: publicKeyPem(this.signing.publicKey),
    };
  }

  private async rows(em: EntityManager, f: EventFilter, limit: number, offset: number): Promise<EventOut[]> {
    const params: unknown[] = [];
    const where = whereOf(f, params);
    params.push(limit, offset);
    const sql = `
      WITH page AS (
        SELECT * FROM audit_event_v ${where}
        ORDER BY occurred_at DESC, seq DESC, event_id LIMIT $${params.length - 1} OFFSET $${params.length}
      )
      ${PAGE_COLUMNS}
      FROM page p LEFT JOIN app_user u ON u.id = p.actor_id LEFT JOIN agency a ON a.id = p.actor_agency_id
      ORDER BY p.occurred_at DESC, p.seq DESC, p.event_id`;
    return withRaw(em, async (q) => (await q(sql, params)).map(eventOut));
  }

  /** Up to `limit` sequenced events past `cursor` in `direction`, in that order. */
  private async keysetRows(
    em: EntityManager,
    f: EventFilter,
    direction: 'before' | 'after',
    cursor: number,
    limit: number,
  ): Promise<EventOut[]> {
    const params: unknown[] = [cursor, limit];
    const where = conditionsOf(f, params)
      .map((c) => `AND ${c}`)
      .join(' ');
    return withRaw(em, async (q) => (await q(keysetPageSql(direction, PAGE_COLUMNS, where), params)).map(eventOut));
  }

  /**
   * A page of events by offset (newest first, unsequenced ones included), or by keyset on the
   * sequence number (`before`: newest first; `after`: oldest first), which stays stable while
   * events are written. `head` is where a keyset walk starts.
   */
  async search(
    em: EntityManager,
    query: EventsQuery,
  ): Promise<{
    items: EventOut[];
    total: number;
    totalExact: boolean;
    page: number;
    pageSize: number;
    head: number;
    nextBefore: number | null;
    nextAfter: number | null;
  }> {
    checkPeriod(query.from, query.to);
    if (query.before !== undefined && query.after !== undefined)
      throw badRequest('Give `before` or `after`, not both.', 'bad_cursor', ['querystring/before', 'querystring/after']);
    const keyset =
      query.before !== undefined
        ? { direction: 'before' as const, cursor: query.before }
        : query.after !== undefined
          ? { direction: 'after' as const, cursor: query.after }
          : null;
    if (keyset && query.page !== 1)
      throw badRequest(
        '`page` cannot be combined with `before` or `after`: follow `nextBefore` or `nextAfter` instead.',
        'bad_cursor',
        'querystring/page',
      );
    const params: unknown[] = [];
    const where = whereOf(query, params);
    const [rows, countRows] = await Promise.all([
      keyset
        ? this.keysetRows(em, query, keyset.direction, keyset.cursor, query.pageSize + 1)
        : this.rows(em, query, query.pageSize, (query.page - 1) * query.pageSize),
      withRaw(em, (q) =>
        q(
          `SELECT (SELECT count(*) FROM (SELECT 1 FROM audit_event_v ${where} LIMIT ${TOTAL_CAP + 1}) c), (SELECT coalesce(max(seq), 0) FROM audit_log)`,
          params,
        ),
      ),
    ]);
    const more = rows.length > query.pageSize;
    const items = more ? rows.slice(0, query.pageSize) : rows;
    const last = items.at(-1)?.seq ?? null;
    const n = Number(countRows[0]![0]);
    return {
      items,
      total: Math.min(n, TOTAL_CAP),
      totalExact: n <= TOTAL_CAP,
      page: query.page,
      pageSize: query.pageSize,
      head: Number(countRows[0]![1]),
      nextBefore: keyset?.direction === 'before' && more ? last : null,
      // A forward walk never ends: with nothing new, the same cursor asks again later.
      nextAfter: keyset?.direction === 'after' ? (last ?? keyset.cursor) : null,
    };
  }

  async csv(em: EntityManager, f: EventFilter): Promise<{ body: string; truncated: boolean }> {
    checkPeriod(f.from, f.to);
    const rows = await this.rows(em, f, this.exportMaxRows + 1, 0);
    const truncated = rows.length > this.exportMaxRows;
    const lines = [CSV_HEADER.map(csvCell).join(',')];
    for (const e of rows.slice(0, this.exportMaxRows)) {
      lines.push(
        [
          e.seq,
          e.occurredAt,
          e.actorId,
          e.actorName,
          e.agencyId,
          e.agencyName,
          e.actorRole,
          e.action,
          e.resourceType,
          e.resourceId,
          e.caseId,
          e.subjectId,
          e.outcome,
          e.reason,
          e.consentIds.join(' '),
          e.requestId,
          e.clientIp,
        ]
          .map(csvCell)
          .join(','),
      );
    }
    return { body: `\ufeff${lines.join('\r\n')}\r\n`, truncated };
  }

  async checkpoints(em: EntityManager, limit: number): Promise<Checkpoint[]> {
    return withRaw(em, async (q) =>
      (await q(`${CHECKPOINT_SELECT} ORDER BY id DESC LIMIT $1`, [limit])).map((r) => {
        const { id: _id, ...c } = rowToCheckpoint(r);
        return c;
      }),
    );
  }

  /**
   * Verifies the log: the events appended since this process last verified it, the verified
   * prefix's anchors and a random sample — or every event (`full`, small logs, periodically).
   */
  async verify(em: EntityManager, opts: { full?: boolean } = {}): Promise<VerifyOutcome> {
    return this.verifier.verify(em, opts);
  }

  /** A one-off full verification against another public key (e.g. a key pinned elsewhere); keeps no state. */
  async verifyWithKey(em: EntityManager, publicKey: Uint8Array): Promise<VerifyResult> {
    return withRaw(em, async (_q, client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await verifyLogOn(client, publicKey);
      } finally {
        await client.query('ROLLBACK').catch(() => {});
      }
    });
  }

  /**
   * The whole log as JSON lines for the offline verifier: a header (with the public key), every
   * checkpoint, then every event with its stored hashes — all from one snapshot.
   */
  async *exportLines(em: EntityManager): AsyncGenerator<string> {
    const { client, release } = await acquireRaw(em);
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      yield* exportLinesOn(client, this.publicKey());
    } finally {
      await client.query('ROLLBACK').catch(() => {});
      await release();
    }
  }

  /** A subject's events, each with its RFC 6962 audit path against the latest signed checkpoint. */
  async extract(
    em: EntityManager,
    subjectId: string,
  ): Promise<
    {
      checkpoint: Checkpoint | null;
      events: (ExtractEvent & { actorName: string | null; agencyName: string | null; outcome: AuditOutcome })[];
      unsequenced: number;
      truncated: boolean;
      limit: number;
    } & ExtractSecrecy
  > {
    const limit = EXTRACT_LIMIT;
    return withRaw(em, async (q, client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const cpRow = (await q(`${CHECKPOINT_SELECT} ORDER BY id DESC LIMIT 1`, []))[0];
        const checkpoint = cpRow ? (({ id: _id, ...c }) => c)(rowToCheckpoint(cpRow)) : null;
        const rows = await q(
          `SELECT l.seq, encode(l.leaf_hash, 'hex'), u.display_name, ${EVENT_COLUMNS('l.')}, a.name FROM audit_log l
           LEFT JOIN app_user u ON u.id = l.actor_id LEFT JOIN agency a ON a.id = l.actor_agency_id
           WHERE l.subject_id = $1 ORDER BY l.seq LIMIT $2`,
          [subjectId, limit + 1],
        );
        const truncated = rows.length > limit;
        if (truncated) rows.length = limit;
        const unseq = await q('SELECT count(*) FROM audit_event_v WHERE seq IS NULL AND subject_id = $1', [subjectId]);
        const size = checkpoint?.treeSize ?? 0;
        const plans = rows.map((r) => (Number(r[0]) <= size ? pathPlans(Number(r[0]) - 1, 0, size) : null));
        const refs = plans.flatMap((p) => (p ? p.flatMap((x) => planRefs(x)) : []));
        const unique = [...new Map(refs.map((r) => [subtreeKey(r), r])).values()];
        const hashes = unique.length ? await fetchSubtrees(q, unique) : new Map<string, Buffer>();
        const events = rows.map((r, i) => {
          const e = rowToEvent(Number(r[0]), r, 3);
          const plan = plans[i];
          return {
            ...e,
            outcome: e.outcome as AuditOutcome,
            leafIndex: e.seq - 1,
            leafHash: r[1] as string,
            actorName: (r[2] as string | null) ?? null,
            agencyName: (r[18] as string | null) ?? null,
            inclusionProof: plan ? plan.map((p) => evalPlan(p, (ref) => hashes.get(subtreeKey(ref))!).toString('hex')) : null,
          };
        });
        const secrecy = await extractSecrecy(q, subjectId);
        return {
          checkpoint,
          events: secrecy.agenciesHeldBack ? holdBackAgencies(events) : events,
          unsequenced: Number(unseq[0]![0]),
          truncated,
          limit,
          ...secrecy,
        };
      } finally {
        await client.query('ROLLBACK').catch(() => {});
      }
    });
  }

  /**
   * A subject's extract as CSV for handing out (GDPR art. 15): no client addresses; `proof` is
   * `proven` when the event's inclusion proof verifies against the latest signed checkpoint,
   * `pending` when it is newer than that checkpoint (`failed` would mean the proof does not verify).
   */
  async extractCsv(em: EntityManager, subjectId: string): Promise<{ body: string; truncated: boolean }> {
    const x = await this.extract(em, subjectId);
    const root = x.checkpoint ? Buffer.from(x.checkpoint.rootHash, 'hex') : null;
    const lines = [EXTRACT_CSV_HEADER.map(csvCell).join(',')];
    for (const e of x.events) {
      const proof =
        !e.inclusionProof || !x.checkpoint || !root
          ? 'pending'
          : verifyInclusion(
                e.leafIndex,
                x.checkpoint.treeSize,
                Buffer.from(e.leafHash, 'hex'),
                e.inclusionProof.map((h) => Buffer.from(h, 'hex')),
                root,
              )
            ? 'proven'
            : 'failed';
      lines.push(
        [
          e.seq,
          e.occurredAt,
          e.actorId,
          e.actorName,
          e.actorAgencyId,
          e.agencyName,
          e.actorRole,
          e.action,
          e.resourceType,
          e.resourceId,
          e.caseId,
          e.subjectId,
          e.outcome,
          e.reason,
          e.consentIds.join(' '),
          e.requestId,
          proof,
        ]
          .map(csvCell)
          .join(','),
      );
    }
    return { body: `\ufeff${lines.join('\r\n')}\r\n`, truncated: x.truncated };
  }

  /** The ids of the subjects registered with this personal identity number (normalised, 12 digits). */
  async subjectsByPersonalIdentityNumber(em: EntityManager, normalized: string): Promise<{ id: string }[]> {
    return withRaw(em, async (q) =>
      (await q('SELECT id FROM subject WHERE personal_identity_number = $1 ORDER BY created_at, id', [normalized])).map((r) => ({
        id: r[0] as string,
      })),
    );
  }

  async agencies(
    em: EntityManager,
  ): Promise<{ id: string; name: string; kind: 'school' | 'social_services' | 'police' | 'leisure' | 'other' }[]> {
    return withRaw(em, async (q) =>
      (await q('SELECT id, name, kind FROM agency ORDER BY name', [])).map((r) => ({
        id: r[0] as string,
        name: r[1] as string,
        kind: r[2] as 'school' | 'social_services' | 'police' | 'leisure' | 'other',
      })),
    );
  }

  async actors(em: EntityManager): Promise<{ id: string; displayName: string; agencyId: string; agencyName: string; active: boolean }[]> {
    return withRaw(em, async (q) =>
      (
        await q(
          'SELECT u.id, u.display_name, u.agency_id, a.name, u.active FROM app_user u JOIN agency a ON a.id = u.agency_id ORDER BY u.display_name, u.id',
          [],
        )
      ).map((r) => ({
        id: r[0] as string,
        displayName: r[1] as string,
        agencyId: r[2] as string,
        agencyName: r[3] as string,
        active: r[4] as boolean,
      })),
    );
  }

  /** Distinct actions in the log (an index skip scan, cheap on a large log) and the known ones. */
  async actions(em: EntityManager): Promise<string[]> {
    const rows = await withRaw(em, (q) =>
      q(
        `WITH RECURSIVE a(action) AS (
        SELECT min(action) FROM audit_log
        UNION ALL
        SELECT (SELECT min(l.action) FROM audit_log l WHERE l.action > a.action) FROM a WHERE a.action IS NOT NULL
      ) SELECT action FROM a WHERE action IS NOT NULL`,
        [],
      ),
    );
    return [...new Set([...KNOWN_ACTIONS, ...rows.map((r) => r[0] as string)])].sort();
  }

  async timeline(
    em: EntityManager,
    query: TimelineQuery,
  ): Promise<{
    points: { at: string; agencyId: string | null; agencyName: string | null; allowed: number; denied: number; error: number }[];
  }> {
    checkPeriod(query.from, query.to);
    const spanDays = (Date.parse(query.to) - Date.parse(query.from)) / 86_400_000;
    if (spanDays > (query.bucket === 'hour' ? 31 : 731))
      throw badRequest(
        query.bucket === 'hour' ? 'Hourly timelines cover at most 31 days.' : 'Timelines cover at most two years.',
        'bad_period',
      );
    const params: unknown[] = [query.bucket, this.anomalies.timezone, query.from, query.to];
    let agency = '';
    if (query.agencyId) {
      params.push(query.agencyId);
      agency = `AND actor_agency_id = $${params.length}`;
    }
    const rows = await withRaw(em, (q) =>
      q(
        `SELECT to_char(b.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), b.actor_agency_id, a.name, b.allowed, b.denied, b.error FROM (
         SELECT date_trunc($1, occurred_at, $2) AS at, actor_agency_id,
                count(*) FILTER (WHERE outcome = 'allowed')::int AS allowed, count(*) FILTER (WHERE outcome = 'denied')::int AS denied,
                count(*) FILTER (WHERE outcome = 'error')::int AS error
         FROM audit_event_v WHERE occurred_at >= $3::timestamptz AND occurred_at < $4::timestamptz ${agency}
         GROUP BY 1, 2) b
       LEFT JOIN agency a ON a.id = b.actor_agency_id ORDER BY b.at, a.name NULLS LAST`,
        params,
      ),
    );
    return {
      points: rows.map((r) => ({
        at: r[0] as string,
        agencyId: (r[1] as string | null) ?? null,
        agencyName: (r[2] as string | null) ?? null,
        allowed: Number(r[3]),
        denied: Number(r[4]),
        error: Number(r[5]),
      })),
    };
  }

  async detectAnomalies(em: EntityManager, from: string, to: string): Promise<Anomaly[]> {
    checkPeriod(from, to);
    if (Date.parse(to) - Date.parse(from) > 92 * 86_400_000)
      throw badRequest('Anomalies are computed for at most 92 days at a time.', 'bad_period');
    const { rules, timezone } = this.anomalies;
    const prefixSql = (col: string, prefixes: string[], params: unknown[]): string => {
      params.push(prefixes.map((p) => `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
      return `${col} LIKE ANY($${params.length}::text[])`;
    };
    const out: Anomaly[] = [];
    const iso = (v: unknown): string => new Date(v as string).toISOString();
    const push = (a: Omit<Anomaly, 'filter' | 'actorName' | 'agencyName'>, extra: Record<string, string> = {}): void => {
      const filter: Record<string, string> = {
        ...(a.actorId ? { actorId: a.actorId } : {}),
        ...(a.caseId ? { caseId: a.caseId } : {}),
        from: a.from,
        to: a.to,
        ...extra,
      };
      out.push({ ...a, actorName: null, agencyName: null, filter });
    };
    await withRaw(em, async (q) => {
      if (rules.deniedBurst.enabled) {
        const rows = await q(
          `SELECT actor_id, (extract(epoch FROM occurred_at) * 1000)::float8, actor_agency_id FROM audit_event_v
           WHERE outcome <> 'allowed' AND outcome = 'denied' AND occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz
           ORDER BY occurred_at LIMIT 200000`,
          [from, to],
        );
        const agencyOf = new Map(rows.map((r) => [r[0] as string | null, (r[2] as string | null) ?? null]));
        for (const b of deniedBursts(
          rows.map((r) => ({ actorId: (r[0] as string | null) ?? null, at: Number(r[1]) })),
          rules.deniedBurst.windowMinutes,
          rules.deniedBurst.minDenied,
        )) {
          push(
            {
              rule: 'deniedBurst',
              actorId: b.actorId,
              agencyId: agencyOf.get(b.actorId) ?? null,
              caseId: null,
              from: new Date(b.from).toISOString(),
              to: new Date(b.to + 1).toISOString(),
              count: b.count,
            },
            { outcome: 'denied' },
          );
        }
      }
      if (rules.noInvolvement.enabled) {
        const params: unknown[] = [from, to, rules.noInvolvement.reasons];
        const rows = await q(
          `SELECT actor_id, actor_agency_id, case_id, min(occurred_at), max(occurred_at), count(*)::int FROM audit_event_v
           WHERE occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz AND reason = ANY($3::text[]) AND case_id IS NOT NULL
             AND ${prefixSql('action', rules.noInvolvement.actionPrefixes, params)}
           GROUP BY 1, 2, 3 ORDER BY 4 LIMIT 1000`,
          params,
        );
        for (const r of rows) {
          push({
            rule: 'noInvolvement',
            actorId: r[0] as string | null,
            agencyId: r[1] as string | null,
            caseId: r[2] as string,
            from: iso(r[3]),
            to: new Date(Date.parse(iso(r[4])) + 1).toISOString(),
            count: Number(r[5]),
          });
        }
      }
      if (rules.offHours.enabled) {
        const params: unknown[] = [from, to, timezone, `${rules.offHours.start}:00`, `${rules.offHours.end}:00`, rules.offHours.weekdays];
        const rows = await q(
          `SELECT actor_id, actor_agency_id, d, (d::timestamp AT TIME ZONE $3), ((d + 1)::timestamp AT TIME ZONE $3), n FROM (
             SELECT actor_id, actor_agency_id, (occurred_at AT TIME ZONE $3)::date AS d, count(*)::int AS n FROM audit_event_v
             WHERE occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz AND actor_id IS NOT NULL
               AND ${prefixSql('action', rules.offHours.actionPrefixes, params)}
               AND ((occurred_at AT TIME ZONE $3)::time < $4::time OR (occurred_at AT TIME ZONE $3)::time >= $5::time
                    OR NOT (extract(isodow FROM occurred_at AT TIME ZONE $3)::int = ANY($6::int[])))
             GROUP BY 1, 2, 3) x ORDER BY 3, 1 LIMIT 1000`,
          params,
        );
        for (const r of rows)
          push({
            rule: 'offHours',
            actorId: r[0] as string,
            agencyId: r[1] as string | null,
            caseId: null,
            from: iso(r[3]),
            to: iso(r[4]),
            count: Number(r[5]),
          });
      }
      if (rules.bulkRead.enabled) {
        const params: unknown[] = [
          from,
          to,
          timezone,
          `${rules.bulkRead.windowMinutes} minutes`,
          rules.bulkRead.maxDistinctCases,
          rules.bulkRead.outcomes,
        ];
        const rows = await q(
          `SELECT actor_id, actor_agency_id, w, w + $4::interval, n FROM (
             SELECT actor_id, actor_agency_id, date_bin($4::interval, occurred_at, '2000-01-03 00:00'::timestamp AT TIME ZONE $3) AS w,
                    count(DISTINCT case_id)::int AS n
             FROM audit_event_v
             WHERE occurred_at >= $1::timestamptz AND occurred_at < $2::timestamptz AND case_id IS NOT NULL AND actor_id IS NOT NULL
               AND outcome = ANY($6::text[]) AND ${prefixSql('action', rules.bulkRead.actionPrefixes, params)}
             GROUP BY 1, 2, 3) x WHERE n > $5 ORDER BY 3, 1 LIMIT 1000`,
          params,
        );
        for (const r of rows)
          push({
            rule: 'bulkRead',
            actorId: r[0] as string,
            agencyId: r[1] as string | null,
            caseId: null,
            from: iso(r[2]),
            to: iso(r[3]),
            count: Number(r[4]),
          });
      }
      const actorIds = [...new Set(out.map((a) => a.actorId).filter((x): x is string => !!x))];
      const agencyIds = [...new Set(out.map((a) => a.agencyId).filter((x): x is string => !!x))];
      const names = new Map<string, string>();
      if (actorIds.length)
        for (const r of await q('SELECT id, display_name FROM app_user WHERE id = ANY($1::uuid[])', [actorIds]))
          names.set(r[0] as string, r[1] as string);
      if (agencyIds.length)
        for (const r of await q('SELECT id, name FROM agency WHERE id = ANY($1::uuid[])', [agencyIds]))
          names.set(r[0] as string, r[1] as string);
      for (const a of out) {
        a.actorName = a.actorId ? (names.get(a.actorId) ?? null) : null;
        a.agencyName = a.agencyId ? (names.get(a.agencyId) ?? null) : null;
      }
    });
    return out;
  }
}

/** JSON lines of the export, read on `client` (inside a transaction). */
export async function* exportLinesOn(client: pg.ClientBase, publicKey: ReturnType<AuditQueryService['publicKey']>): AsyncGenerator<string> {
  const q = arrayQuery(client);
  yield `${JSON.stringify({ type: 'header', format: 'samverka-audit-export/v1', exportedAt: new Date().toISOString(), publicKey })}\n`;
  for (const r of await q(`${CHECKPOINT_SELECT} ORDER BY id`, [])) {
    const { id: _id, ...c } = rowToCheckpoint(r);
    yield `${JSON.stringify({ type: 'checkpoint', ...c })}\n`;
  }
  await client.query(
    `DECLARE audit_export NO SCROLL CURSOR FOR SELECT seq, encode(leaf_hash, 'hex'), encode(chain_hash, 'hex'), ${EVENT_COLUMNS()} FROM audit_log ORDER BY seq`,
  );
  try {
    for (;;) {
      const rows = await q('FETCH 10000 FROM audit_export', []);
      if (rows.length === 0) break;
      let chunk = '';
      for (const r of rows)
        chunk += `${JSON.stringify({ type: 'event', ...rowToEvent(Number(r[0]), r, 3), leafHash: r[1], chainHash: r[2] })}\n`;
      yield chunk;
    }
  } finally {
    await client.query('CLOSE audit_export').catch(() => {});
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    auditQueries: AuditQueryService;
  }
}
