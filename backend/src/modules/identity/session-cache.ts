import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import { Backoff } from '../../db/backoff.js';
import type { Actor } from '../../types.js';

export const REVOCATION_CHANNEL = 'samverka_session_revoked';

/** Name of the listener's connection in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'samverka-session-listener';

const MAX_ENTRIES = 50_000;

/**
 * A short-lived cache of live sessions, so that a request does not always cost a database round
 * trip. It is only used while a LISTEN connection receives revocations (sign-out, deactivation)
 * from every instance of the service; revocations made here also clear it at once.
 *
 * If that connection is lost the cache is emptied and bypassed, and the listener reconnects with
 * backoff; revocation meanwhile holds on the very next request, through the database. A
 * revocation sent while nobody listened is never seen here, so a reconnected listener starts
 * from an empty cache: every session is read from the database again.
 *
 * No re-cache window: a request that missed the cache reads the session from the database, and a
 * revocation may arrive while it does (its read began before the revocation committed, and
 * finished after the notification came). Every notification and every reconnection moves the
 * `epoch` on; a read caches its result only if the epoch is still the one it started in.
 */
export class SessionCache {
  private readonly entries = new Map<string, { actor: Actor; until: number }>();
  private epoch = 0;
  private client: pg.Client | null = null;
  private connecting = false;
  private live = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff();
  private connectionString = '';

  constructor(
    private readonly ttlMs: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Starts listening; never throws (a failed connection is retried in the background). */
  async listen(connectionString: string): Promise<void> {
    this.connectionString = connectionString;
    await this.connect();
  }

  /** The listener's backend pid while it is connected (for tests that terminate it). */
  get backendPid(): number | null {
    return this.live ? ((this.client as unknown as { processID?: number } | null)?.processID ?? null) : null;
  }

  private async connect(): Promise<void> {
    if (this.closed || this.client || this.connecting) return;
    this.connecting = true;
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: LISTENER_APPLICATION_NAME,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    // A broken connection can emit 'error' more than once, and 'end' after it: these handlers stay
    // for the client's whole life (an 'error' with no handler would end the process).
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (client === this.client) this.onRevocation(msg.payload ?? '*');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
    } catch (e) {
      this.connecting = false;
      client.end().catch(() => {});
      const delay = this.backoff.next();
      this.log.warn(
        { err: { type: (e as Error).name, code: (e as { code?: string }).code }, retryInMs: delay },
        'session revocation listener could not connect; sessions are checked in the database',
      );
      this.scheduleReconnect(delay);
      return;
    }
    this.connecting = false;
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.invalidateAll();
    this.live = true;
    this.backoff.reset();
    this.log.info('session revocation listener connected');
  }

  private lost(client: pg.Client): void {
    // Events of a connection given up already (or never taken into use) change nothing.
    if (client !== this.client) return;
    this.client = null;
    this.live = false;
    this.invalidateAll();
    client.end().catch(() => {});
    if (this.closed) return;
    const delay = this.backoff.next();
    this.log.warn({ retryInMs: delay }, 'session revocation listener lost; sessions are checked in the database until it reconnects');
    this.scheduleReconnect(delay);
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, delayMs);
    this.retry.unref();
  }

  private invalidateAll(): void {
    this.epoch += 1;
    this.entries.clear();
  }

  private onRevocation(payload: string): void {
    this.epoch += 1;
    const [kind, id] = payload.split(':');
    if (kind === 'session' && id) this.entries.delete(id);
    else if (kind === 'user' && id) {
      for (const [sid, e] of this.entries) if (e.actor.id === id) this.entries.delete(sid);
    } else this.entries.clear();
  }

  get(sessionId: string, userId: string): Actor | undefined {
    if (!this.live) return undefined;
    const e = this.entries.get(sessionId);
    if (!e || e.until < Date.now() || e.actor.id !== userId) return undefined;
    return e.actor;
  }

  /** Taken before reading a session from the database; hand it to `set` with the result. */
  readTicket(): number {
    return this.epoch;
  }

  /** Caches a session read from the database, unless a revocation came since its `ticket`. */
  set(actor: Actor, ticket: number): void {
    if (!this.live || ticket !== this.epoch) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(actor.sessionId, { actor, until: Date.now() + this.ttlMs });
  }

  revokeSession(sessionId: string): void {
    this.onRevocation(`session:${sessionId}`);
  }

  revokeUser(userId: string): void {
    this.onRevocation(`user:${userId}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    clearTimeout(this.retry);
    this.retry = undefined;
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }
}
