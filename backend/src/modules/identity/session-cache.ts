import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import type { Actor } from '../../types.js';

export const REVOCATION_CHANNEL = 'samverka_session_revoked';

/**
 * A short-lived cache of live sessions, so that a request does not always cost a database round
 * trip. It is only used while a LISTEN connection receives revocations (sign-out, deactivation)
 * from every instance of the service; revocations made here also clear it at once. If that
 * connection is lost the cache is emptied and bypassed until it is back: revocation then still
 * holds on the very next request, through the database.
 */
export class SessionCache {
  private readonly entries = new Map<string, { actor: Actor; until: number }>();
  private client: pg.Client | null = null;
  private live = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  async listen(connectionString: string): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString });
    client.on('error', () => this.lost(connectionString));
    client.on('end', () => this.lost(connectionString));
    client.on('notification', (msg) => this.onRevocation(msg.payload ?? '*'));
    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
      this.client = client;
      this.live = true;
    } catch {
      this.lost(connectionString);
    }
  }

  private lost(connectionString: string): void {
    this.live = false;
    this.entries.clear();
    this.client?.removeAllListeners();
    this.client = null;
    if (!this.closed && !this.retry) {
      this.log.warn('session revocation listener lost; sessions are checked in the database until it reconnects');
      this.retry = setTimeout(() => {
        this.retry = undefined;
        void this.listen(connectionString);
      }, 1000);
      this.retry.unref();
    }
  }

  private onRevocation(payload: string): void {
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

  set(actor: Actor): void {
    if (!this.live) return;
    if (this.entries.size > 50_000) this.entries.clear();
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
    const c = this.client;
    this.client = null;
    c?.removeAllListeners();
    c?.on('error', () => {});
    await c?.end().catch(() => {});
  }
}
