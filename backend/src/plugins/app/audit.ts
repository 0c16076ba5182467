import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from '../../db/sql.js';
import { HttpProblem } from '../../lib/problem.js';
import { uuidv7 } from '../../lib/uuid7.js';

export type AuditOutcome = 'allowed' | 'denied' | 'error';

/** One audit event: references only, never names or free text. */
export interface AuditEvent {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  caseId?: string | null;
  subjectId?: string | null;
  outcome: AuditOutcome;
  reason?: string | null;
  consentIds?: readonly string[];
}

/** Who did it and from where; taken from the request. */
export interface AuditContext {
  actorId: string | null;
  actorAgencyId: string | null;
  actorRole: string | null;
  /** The server's own id for the request. */
  requestId: string;
  clientIp: string | null;
  /** The caller's own `x-request-id`, if it is a plain token: its claim, kept for matching logs. */
  clientRequestId?: string | null;
}

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * A client's `x-request-id` (the web app sends its own), when it is a plain token of at most 64
 * characters; anything else is dropped. It never becomes the request's id: the id in logs and
 * audit rows is always the server's, so a client cannot make its requests look like another's.
 */
export function clientRequestIdOf(headers: { [name: string]: string | string[] | undefined }): string | null {
  const given = headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : null;
}

export function auditContextOf(request: FastifyRequest, override?: Partial<AuditContext>): AuditContext {
  const a = request.actor;
  return {
    actorId: a?.id ?? null,
    actorAgencyId: a?.agencyId ?? null,
    // A citizen route's own events name the person (app.citizen.auditContext); this default, used
    // by the error path, still says a citizen was the caller rather than leaving the role empty.
    actorRole: a ? a.roles.join(',') : request.routeOptions?.config?.citizen === true ? 'citizen' : null,
    requestId: String(request.id),
    clientIp: request.ip ?? null,
    clientRequestId: clientRequestIdOf(request.headers),
    ...override,
  };
}

// client_request_id is stored beside the event but is not part of its hashed content (see
// audit.crypto.ts canonicalEvent): it is whatever the caller chose to send, evidence of nothing,
// and the signed format stays the one every verifier and exported extract already uses.
const COLUMNS = [
  'event_id',
  'actor_id',
  'actor_agency_id',
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
  'client_request_id',
] as const;

/** One queue row, keyed by column. */
interface QueueRow {
  event_id: string;
  actor_id: string | null;
  actor_agency_id: string | null;
  actor_role: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  case_id: string | null;
  subject_id: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  consent_ids: readonly string[];
  request_id: string;
  client_ip: string | null;
  client_request_id: string | null;
}

function rowsOf(ctx: AuditContext, list: readonly AuditEvent[]): QueueRow[] {
  return list.map((e) => ({
    event_id: uuidv7(),
    actor_id: ctx.actorId,
    actor_agency_id: ctx.actorAgencyId,
    actor_role: ctx.actorRole,
    action: e.action,
    resource_type: e.resourceType,
    resource_id: e.resourceId ?? null,
    case_id: e.caseId ?? null,
    subject_id: e.subjectId ?? null,
    outcome: e.outcome,
    reason: e.reason ?? null,
    consent_ids: e.consentIds ?? [],
    request_id: ctx.requestId,
    client_ip: ctx.clientIp,
    client_request_id: ctx.clientRequestId ?? null,
  }));
}

const COLUMN_TYPES: Record<(typeof COLUMNS)[number], string> = {
  event_id: 'uuid',
  actor_id: 'uuid',
  actor_agency_id: 'uuid',
  actor_role: 'text',
  action: 'text',
  resource_type: 'text',
  resource_id: 'text',
  case_id: 'uuid',
  subject_id: 'uuid',
  outcome: 'text',
  reason: 'text',
  consent_ids: 'uuid[]',
  request_id: 'text',
  client_ip: 'text',
  client_request_id: 'text',
};

/**
 * The INSERT of any number of rows as one fixed statement text with one parameter (the rows as a
 * JSON array): prepared once per connection whatever the number of rows, and far cheaper for
 * this process to send than one bind value per field.
 */
const INSERT_SQL = `INSERT INTO audit_queue (${COLUMNS.join(', ')})
  SELECT ${COLUMNS.map((c) => `x.${c}`).join(', ')}
  FROM json_to_recordset(?::json) AS x(${COLUMNS.map((c) => `${c} ${COLUMN_TYPES[c]}`).join(', ')})`;

/** perRowStatement's text for each source relation (a handful: the callers name it in code). */
const perRowTexts = new Map<string, string>();
/** The columns every event of a `perRowStatement` shares. */
const SHARED = COLUMNS.filter((c) => !['event_id', 'resource_id', 'case_id', 'subject_id'].includes(c));

async function insertRows(em: EntityManager, rows: QueueRow[]): Promise<void> {
  await sql(em, INSERT_SQL, [JSON.stringify(rows)]);
}

/**
 * Group commit for events written outside a transaction (reads, denials): while one INSERT is
 * being committed, the events that arrive meanwhile wait and go together in the next one. No
 * added delay at low load; at high load far fewer commits. Every caller still waits for the
 * commit that holds its own event (fail closed). If a shared INSERT fails, each event is retried
 * alone, so one bad event cannot fail the others.
 */
class GroupCommit {
  private queue: { rows: QueueRow[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;

  /** `em`: an EntityManager outside any transaction (each INSERT commits on its own). */
  constructor(
    private readonly em: EntityManager,
    private readonly maxInFlight = 2,
    private readonly maxRows = 1000,
  ) {}

  add(rows: QueueRow[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    const batch: typeof this.queue = [];
    let n = 0;
    while (this.queue.length && (batch.length === 0 || n + this.queue[0]!.rows.length <= this.maxRows)) {
      const item = this.queue.shift()!;
      n += item.rows.length;
      batch.push(item);
    }
    this.inFlight += 1;
    insertRows(
      this.em,
      batch.flatMap((b) => b.rows),
    )
      .then(
        () => batch.forEach((b) => b.resolve()),
        async (e: unknown) => {
          if (batch.length === 1) return batch[0]!.reject(e);
          for (const b of batch) await insertRows(this.em, b.rows).then(b.resolve, b.reject);
        },
      )
      .finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
  }
}

/**
 * Writes audit events into the append-only queue, inside the caller's transaction when `em` is in
 * one: the event commits together with what it records, or not at all. Outside a transaction the
 * event is committed (group commit) before `record` resolves.
 */
export class AuditService {
  private readonly groups = new WeakMap<object, GroupCommit>();

  /**
   * The INSERT of these events as one SQL statement (`?` placeholders), for a caller that must
   * write them atomically with other rows in a single statement (as a CTE): one round trip
   * instead of BEGIN, two INSERTs and COMMIT. `when` (SQL, no placeholders) makes the events
   * conditional on what the rest of the statement did, e.g. `EXISTS (SELECT 1 FROM written)`.
   */
  insertStatement(ctx: AuditContext, events: readonly AuditEvent[], when?: string): { text: string; params: unknown[] } {
    return { text: when ? `${INSERT_SQL}\n  WHERE ${when}` : INSERT_SQL, params: [JSON.stringify(rowsOf(ctx, events))] };
  }

  /**
   * The INSERT of one event per row of `source` (a relation in the caller's statement with a
   * case's `id` and its `subject_id`, at most `maxRows` rows): `e` for that case and person — or,
   * when `source` is empty, one event `e` without a resource. For a statement that lists cases and
   * must write their events in the same statement (params: the event ids, then the shared fields).
   */
  perRowStatement(
    ctx: AuditContext,
    e: Omit<AuditEvent, 'resourceId' | 'caseId' | 'subjectId'>,
    source: string,
    maxRows: number,
  ): { text: string; params: unknown[] } {
    const [shared] = rowsOf(ctx, [e]);
    const ids = Array.from({ length: Math.max(1, maxRows) }, uuidv7);
    let text = perRowTexts.get(source);
    if (text === undefined) {
      text = `INSERT INTO audit_queue (${COLUMNS.join(', ')})
  SELECT (?::uuid[])[r.n], ${COLUMNS.slice(1)
    .map((c) => (c === 'resource_id' ? 'r.id::text' : c === 'case_id' ? 'r.id' : c === 'subject_id' ? 'r.subject_id' : `x.${c}`))
    .join(', ')}
  FROM json_to_record(?::json) AS x(${SHARED.map((c) => `${c} ${COLUMN_TYPES[c]}`).join(', ')})
  CROSS JOIN (SELECT ${source}.id, ${source}.subject_id, (row_number() OVER ())::int AS n FROM ${source}
              UNION ALL SELECT NULL::uuid, NULL::uuid, 1 WHERE NOT EXISTS (SELECT 1 FROM ${source})) r`;
      perRowTexts.set(source, text);
    }
    return { text, params: [`{${ids.join(',')}}`, JSON.stringify(shared)] };
  }

  async record(em: EntityManager, ctx: AuditContext, events: AuditEvent | readonly AuditEvent[]): Promise<void> {
    const list = Array.isArray(events) ? (events as readonly AuditEvent[]) : [events as AuditEvent];
    if (list.length === 0) return;
    const rows = rowsOf(ctx, list);
    if (em.getTransactionContext()) return insertRows(em, rows);
    const conn = em.getConnection();
    let group = this.groups.get(conn);
    if (!group) {
      group = new GroupCommit(em.fork());
      this.groups.set(conn, group);
    }
    return group.add(rows);
  }
}

/** What a route is about, so that a failure (5xx) on it is still recorded as outcome `error`. */
export type AuditIntent = Omit<AuditEvent, 'outcome' | 'reason'>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Declares the route audited: a 5xx answer records this event with outcome `error`. */
    audit?: AuditIntent;
  }
  interface FastifyRequest {
    /** Set by `setAuditIntent` once the handler knows the resource (overrides the route's `audit`). */
    auditIntent: AuditIntent | null;
  }
}

/** Tells the error path which resource this request is about (call it early in the handler). */
export function setAuditIntent(request: FastifyRequest, intent: AuditIntent): void {
  request.auditIntent = intent;
}

/**
 * Error path: when an audited route (route `config.audit`, or `setAuditIntent` in the handler)
 * answers 5xx, an `error` event is recorded in its own autocommitted statement — the request's
 * own transaction has been rolled back by then. If that write also fails (the database is down)
 * the failure is logged; the client already gets the 5xx, so nothing is disclosed.
 */
export function registerAuditErrorHook(app: FastifyInstance): void {
  app.decorateRequest('auditIntent', null);
  app.addHook('onError', async (request, _reply, error: FastifyError | HttpProblem) => {
    const status = error instanceof HttpProblem ? error.status : typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status < 500) return;
    const intent = request.auditIntent ?? request.routeOptions.config?.audit;
    if (!intent) return;
    try {
      await app.audit.record(app.orm.em.fork(), auditContextOf(request), { ...intent, outcome: 'error', reason: `http_${status}` });
    } catch (e) {
      request.log.error(
        { err: { type: (e as Error).name, code: (e as { code?: string }).code } },
        'could not record the audit error event',
      );
    }
  });
}
