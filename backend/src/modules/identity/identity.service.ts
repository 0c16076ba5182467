import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { HttpProblem, badRequest, conflict, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { Agency, type AgencyKind, type Role, Session, User } from './identity.entities.js';
import { hashPassword, verifyPassword } from './password.js';
import { REVOCATION_CHANNEL, SessionCache } from './session-cache.js';

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

const usernameKey = (username: string): string => createHash('sha256').update(username.trim().toLowerCase()).digest('hex');

const toPublicUser = (u: User): PublicUser => ({ id: u.id, username: u.username, displayName: u.displayName, agencyId: u.agencyId, roles: u.roles });

export class IdentityService {
  readonly sessions: SessionCache;

  constructor(private readonly app: FastifyInstance) {
    this.sessions = new SessionCache(5_000, app.log);
  }

  /** Tells every instance (through LISTEN/NOTIFY, delivered at commit) to drop cached sessions. */
  private async announceRevocation(tx: EntityManager, payload: string): Promise<void> {
    await tx.getConnection().execute('SELECT pg_notify(?, ?)', [REVOCATION_CHANNEL, payload], 'all', tx.getTransactionContext());
  }

  /** Refuses with 429 while the user name or the address has too many recent failures. */
  private async checkThrottle(em: EntityManager, userKey: string, address: string): Promise<void> {
    const c = this.app.config;
    const [row] = await em.getConnection().execute<{ by_user: string; by_addr: string; user_oldest: Date | null; addr_oldest: Date | null }[]>(
      `SELECT
         count(*) FILTER (WHERE username_hash = ?) AS by_user,
         count(*) FILTER (WHERE address = ?) AS by_addr,
         min(at) FILTER (WHERE username_hash = ?) AS user_oldest,
         min(at) FILTER (WHERE address = ?) AS addr_oldest
       FROM login_failure
       WHERE (username_hash = ? OR address = ?) AND at > now() - make_interval(secs => ?)`,
      [userKey, address, userKey, address, userKey, address, c.LOGIN_WINDOW_SECONDS],
    );
    if (!row) return;
    const limited = (count: string, oldest: Date | null, max: number): number | null =>
      Number(count) >= max && oldest ? Math.max(1, Math.ceil((new Date(oldest).getTime() + c.LOGIN_WINDOW_SECONDS * 1000 - Date.now()) / 1000)) : null;
    const wait = limited(row.by_user, row.user_oldest, c.LOGIN_MAX_FAILURES) ?? limited(row.by_addr, row.addr_oldest, c.LOGIN_MAX_FAILURES_PER_ADDRESS);
    if (wait !== null) {
      throw new HttpProblem(429, 'too_many_attempts', 'Too many failed sign-ins', `Wait ${wait} seconds before trying again.`, { 'retry-after': String(wait) });
    }
  }

  async login(em: EntityManager, username: string, password: string, ctx: AuditContext): Promise<{ accessToken: string; expiresIn: number; user: PublicUser }> {
    const userKey = usernameKey(username);
    const address = ctx.clientIp ?? 'unknown';
    try {
      await this.checkThrottle(em, userKey, address);
    } catch (e) {
      await this.app.audit.record(em, ctx, { action: 'auth.login', resourceType: 'session', outcome: 'denied', reason: 'throttled' });
      throw e;
    }
    const user = await em.findOne(User, { username: username.trim().toLowerCase() }, { populate: ['passwordHash'] });
    const ok = await verifyPassword(user?.active ? user.passwordHash : null, password);
    if (!user || !ok || !user.active) {
      await em.transactional(async (tx) => {
        await tx.getConnection().execute('INSERT INTO login_failure (username_hash, address) VALUES (?, ?)', [userKey, address], 'run', tx.getTransactionContext());
        await this.app.audit.record(tx, { ...ctx, actorId: user?.id ?? null, actorAgencyId: user?.agencyId ?? null }, { action: 'auth.login', resourceType: 'session', outcome: 'denied', reason: 'bad_credentials' });
      });
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
      await tx.getConnection().execute('DELETE FROM login_failure WHERE username_hash = ?', [userKey], 'run', tx.getTransactionContext());
      await this.app.audit.record(tx, { ...ctx, actorId: user.id, actorAgencyId: user.agencyId, actorRole: user.roles.join(',') }, { action: 'auth.login', resourceType: 'session', resourceId: session.id, outcome: 'allowed' });
    });
    const accessToken = this.app.jwt.sign({ sub: user.id, sid: session.id });
    return { accessToken, expiresIn: ttl, user: toPublicUser(user) };
  }

  /** The session is live (checked by the auth hook): issue a fresh token for it. */
  refresh(actor: Actor): { accessToken: string; expiresIn: number; user: PublicUser } {
    const accessToken = this.app.jwt.sign({ sub: actor.id, sid: actor.sessionId });
    return { accessToken, expiresIn: this.app.config.ACCESS_TOKEN_TTL_SECONDS, user: { id: actor.id, username: actor.username, displayName: actor.displayName, agencyId: actor.agencyId, roles: actor.roles } };
  }

  /**
   * Resolves the caller from a verified token: the session must be live (not revoked, not past
   * its maximum age or idle time) and the user active. One round trip; `last_seen_at` is bumped
   * at most once a minute so reads do not all become writes.
   */
  async resolveActor(em: EntityManager, userId: string, sessionId: string): Promise<Actor | null> {
    const cached = this.sessions.get(sessionId, userId);
    if (cached) return cached;
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
    const actor: Actor = { id: r.id, username: r.username, displayName: r.display_name, agencyId: r.agency_id, agencyName: r.agency_name, agencyKind: r.agency_kind, roles: r.roles, sessionId };
    this.sessions.set(actor);
    return actor;
  }

  async logout(em: EntityManager, actor: Actor, ctx: AuditContext): Promise<void> {
    await em.transactional(async (tx) => {
      await tx.getConnection().execute('UPDATE user_session SET revoked_at = now() WHERE id = ? AND revoked_at IS NULL', [actor.sessionId], 'run', tx.getTransactionContext());
      await this.announceRevocation(tx, `session:${actor.sessionId}`);
      await this.app.audit.record(tx, ctx, { action: 'auth.logout', resourceType: 'session', resourceId: actor.sessionId, outcome: 'allowed' });
    });
    this.sessions.revokeSession(actor.sessionId);
  }

  async listAgencies(em: EntityManager): Promise<PublicAgency[]> {
    const list = await em.find(Agency, {}, { orderBy: { name: 'asc' } });
    return list.map((a) => ({ id: a.id, name: a.name, kind: a.kind }));
  }

  async createAgency(em: EntityManager, input: { name: string; kind: AgencyKind }, ctx: AuditContext): Promise<PublicAgency> {
    const name = input.name.trim();
    if (!name) throw badRequest('The agency needs a name.');
    return em.transactional(async (tx) => {
      const [dup] = await tx.getConnection().execute<{ n: number }[]>('SELECT 1 AS n FROM agency WHERE lower(name) = lower(?)', [name], 'all', tx.getTransactionContext());
      if (dup) throw conflict('An agency with that name already exists.', 'agency_exists');
      const a = tx.create(Agency, { id: randomUUID(), name, kind: input.kind, createdAt: new Date() });
      await tx.flush();
      await this.app.audit.record(tx, ctx, { action: 'admin.agency.create', resourceType: 'agency', resourceId: a.id, outcome: 'allowed' });
      return { id: a.id, name: a.name, kind: a.kind };
    });
  }

  async listUsers(em: EntityManager, ctx: AuditContext): Promise<(PublicUser & { active: boolean })[]> {
    const list = await em.find(User, {}, { orderBy: { username: 'asc' } });
    await this.app.audit.record(em, ctx, { action: 'admin.user.list', resourceType: 'user', outcome: 'allowed' });
    return list.map((u) => ({ ...toPublicUser(u), active: u.active }));
  }

  async createUser(
    em: EntityManager,
    input: { username: string; displayName: string; password: string; agencyId: string; roles: Role[] },
    ctx: AuditContext,
  ): Promise<PublicUser & { active: boolean }> {
    const username = input.username.trim().toLowerCase();
    const displayName = input.displayName.trim();
    if (!displayName) throw badRequest('The user needs a display name.');
    const roles = [...new Set(input.roles)];
    const passwordHash = await hashPassword(input.password);
    return em.transactional(async (tx) => {
      const agency = await tx.findOne(Agency, { id: input.agencyId });
      if (!agency) throw badRequest('The agency does not exist.', 'unknown_agency');
      if (await tx.count(User, { username })) throw conflict('That user name is taken.', 'username_taken');
      const u = tx.create(User, { id: randomUUID(), username, displayName, passwordHash, agencyId: agency.id, roles, active: true, createdAt: new Date(), deactivatedAt: null });
      await tx.flush();
      await this.app.audit.record(tx, ctx, { action: 'admin.user.create', resourceType: 'user', resourceId: u.id, outcome: 'allowed' });
      return { ...toPublicUser(u), active: true };
    });
  }

  /** Deactivates the user and revokes every session at once: their next request is refused. */
  async deactivateUser(em: EntityManager, userId: string, ctx: AuditContext): Promise<PublicUser & { active: boolean }> {
    return em.transactional(async (tx) => {
      const u = await tx.findOne(User, { id: userId });
      if (!u) throw notFound();
      if (u.active) {
        u.active = false;
        u.deactivatedAt = new Date();
        await tx.flush();
        await tx.getConnection().execute('UPDATE user_session SET revoked_at = now() WHERE user_id = ? AND revoked_at IS NULL', [u.id], 'run', tx.getTransactionContext());
        await this.announceRevocation(tx, `user:${u.id}`);
      }
      await this.app.audit.record(tx, ctx, { action: 'admin.user.deactivate', resourceType: 'user', resourceId: u.id, outcome: 'allowed' });
      return { ...toPublicUser(u), active: false };
    }).finally(() => this.sessions.revokeUser(userId));
  }
}
