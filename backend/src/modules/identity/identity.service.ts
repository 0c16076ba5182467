import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { type AgencyKind, type Role, Session, User } from './identity.entities.js';
import { HashGate, HashGateFull, verifyPassword } from './password.js';
import { REVOCATION_CHANNEL, SessionCache } from './session-cache.js';
import { SignInThrottle, throttleKeys } from './sign-in-throttle.js';

export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  agencyId: string;
  roles: Role[];
}

export interface PublicAgency {
  id: string;
  name: string;
  kind: AgencyKind;
}

interface ActorRow {
  id: string;
  username: string;
  display_name: string;
  agency_id: string;
  agency_name: string;
  agency_kind: AgencyKind;
  roles: Role[];
  stale: boolean;
}

const toPublicUser = (u: User): PublicUser => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  agencyId: u.agencyId,
  roles: u.roles,
});

export class IdentityService {
  readonly sessions: SessionCache;
  private readonly throttle: SignInThrottle;
  private readonly hashGate: HashGate;

  constructor(private readonly app: FastifyInstance) {
    this.sessions = new SessionCache(5_000, app.log);
    const c = app.config;
    this.throttle = new SignInThrottle({
      pairFailures: c.LOGIN_MAX_FAILURES,
      backoffSeconds: c.LOGIN_BACKOFF_SECONDS,
      backoffMaxSeconds: c.LOGIN_BACKOFF_MAX_SECONDS,
      windowSeconds: c.LOGIN_WINDOW_SECONDS,
      userFailures: c.LOGIN_MAX_FAILURES_PER_USER,
      addressFailures: c.LOGIN_MAX_FAILURES_PER_ADDRESS,
    });
    this.hashGate = new HashGate(c.LOGIN_HASH_CONCURRENCY, c.LOGIN_HASH_QUEUE);
  }

  /** Tells every instance (through LISTEN/NOTIFY, delivered at commit) to drop cached sessions. */
  private async announceRevocation(tx: EntityManager, payload: string): Promise<void> {
    await tx.getConnection().execute('SELECT pg_notify(?, ?)', [REVOCATION_CHANNEL, payload], 'all', tx.getTransactionContext());
  }

  /**
   * Reserve a failure on the throttle's counters first (refused with 429 while any is at its
   * limit), then check the password through the bounded hash gate (503 when it is full, and the
   * reservation goes back), and on success give the reservation back in the session's transaction.
   */
  async login(
    em: EntityManager,
    username: string,
    password: string,
    ctx: AuditContext,
  ): Promise<{ accessToken: string; expiresIn: number; user: PublicUser }> {
    const keys = throttleKeys(username, ctx.clientIp);
    const wait = await this.throttle.reserve(em, keys);
    if (wait !== null) {
      await this.app.audit.record(em, ctx, { action: 'auth.login', resourceType: 'session', outcome: 'denied', reason: 'throttled' });
      throw new HttpProblem(429, 'too_many_attempts', 'Too many failed sign-ins', `Wait ${wait} seconds before trying again.`, {
        'retry-after': String(wait),
      });
    }
    const user = await em.findOne(User, { username: username.trim().toLowerCase() }, { populate: ['passwordHash'] });
    let ok: boolean;
    try {
      ok = await this.hashGate.run(() => verifyPassword(user?.active ? user.passwordHash : null, password));
    } catch (e) {
      if (!(e instanceof HashGateFull)) throw e;
      await this.throttle.notChecked(em, keys);
      await this.app.audit.record(em, ctx, { action: 'auth.login', resourceType: 'session', outcome: 'denied', reason: 'busy' });
      throw new HttpProblem(503, 'sign_in_busy', 'Too many sign-ins right now', 'Try again in a moment.', { 'retry-after': '1' });
    }
    if (!user || !ok || !user.active) {
      // The failure was counted when the attempt was reserved.
      await this.app.audit.record(
        em,
        { ...ctx, actorId: user?.id ?? null, actorAgencyId: user?.agencyId ?? null },
        { action: 'auth.login', resourceType: 'session', outcome: 'denied', reason: 'bad_credentials' },
      );
      throw new HttpProblem(401, 'bad_credentials', 'Sign-in failed', 'Wrong user name or password.');
    }
    const ttl = this.app.config.ACCESS_TOKEN_TTL_SECONDS;
    const session = new Session();
    session.id = randomUUID();
    session.userId = user.id;
    session.expiresAt = new Date(Date.now() + this.app.config.SESSION_MAX_HOURS * 3600_000);
    await em.transactional(async (tx) => {
      tx.persist(session);
      await tx.flush();
      await this.throttle.succeeded(tx, keys);
      await this.app.audit.record(
        tx,
        { ...ctx, actorId: user.id, actorAgencyId: user.agencyId, actorRole: user.roles.join(',') },
        { action: 'auth.login', resourceType: 'session', resourceId: session.id, outcome: 'allowed' },
      );
    });
    const accessToken = this.app.jwt.sign({ sub: user.id, sid: session.id });
    return { accessToken, expiresIn: ttl, user: toPublicUser(user) };
  }

  /** The session is live (checked by the auth hook): issue a fresh token for it. */
  refresh(actor: Actor): { accessToken: string; expiresIn: number; user: PublicUser } {
    const accessToken = this.app.jwt.sign({ sub: actor.id, sid: actor.sessionId });
    return {
      accessToken,
      expiresIn: this.app.config.ACCESS_TOKEN_TTL_SECONDS,
      user: { id: actor.id, username: actor.username, displayName: actor.displayName, agencyId: actor.agencyId, roles: actor.roles },
    };
  }

  /**
   * Resolves the caller from a verified token: the session must be live (not revoked, not past
   * its maximum age or idle time) and the user active. One round trip; `last_seen_at` is bumped
   * at most once a minute so reads do not all become writes.
   */
  async resolveActor(em: EntityManager, userId: string, sessionId: string): Promise<Actor | null> {
    const cached = this.sessions.get(sessionId, userId);
    if (cached) return cached;
    const ticket = this.sessions.readTicket();
    const rows = await em.getConnection().execute<ActorRow[]>(
      `SELECT u.id, u.username, u.display_name, u.agency_id, a.name AS agency_name, a.kind AS agency_kind, u.roles,
              s.last_seen_at < now() - interval '60 seconds' AS stale
       FROM user_session s
       JOIN app_user u ON u.id = s.user_id
       JOIN agency a ON a.id = u.agency_id
       WHERE s.id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > now()
         AND s.last_seen_at > now() - make_interval(mins => ?) AND u.active`,
      [sessionId, userId, this.app.config.SESSION_IDLE_MINUTES],
    );
    const r = rows[0];
    if (!r) return null;
    if (r.stale) await em.getConnection().execute('UPDATE user_session SET last_seen_at = now() WHERE id = ?', [sessionId]);
    const actor: Actor = {
      id: r.id,
      username: r.username,
      displayName: r.display_name,
      agencyId: r.agency_id,
      agencyName: r.agency_name,
      agencyKind: r.agency_kind,
      roles: r.roles,
      sessionId,
    };
    this.sessions.set(actor, ticket);
    return actor;
  }

  async logout(em: EntityManager, actor: Actor, ctx: AuditContext): Promise<void> {
    await em.transactional(async (tx) => {
      await tx
        .getConnection()
        .execute(
          'UPDATE user_session SET revoked_at = now() WHERE id = ? AND revoked_at IS NULL',
          [actor.sessionId],
          'run',
          tx.getTransactionContext(),
        );
      await this.announceRevocation(tx, `session:${actor.sessionId}`);
      await this.app.audit.record(tx, ctx, {
        action: 'auth.logout',
        resourceType: 'session',
        resourceId: actor.sessionId,
        outcome: 'allowed',
      });
    });
    this.sessions.revokeSession(actor.sessionId);
  }
}
