import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { badRequest, conflict, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import { Agency, type AgencyKind, type Role, User } from '../identity/identity.entities.js';
import type { PublicAgency, PublicUser } from '../identity/identity.service.js';
import { hashPassword } from '../identity/password.js';
import { REVOCATION_CHANNEL } from '../identity/session-cache.js';

export type AdminUser = PublicUser & { active: boolean };

const toAdminUser = (u: User): AdminUser => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  agencyId: u.agencyId,
  roles: u.roles,
  active: u.active,
});

/** Agencies and users, as the admin manages them. Every write is audited in its transaction. */
export class AdminService {
  constructor(private readonly app: FastifyInstance) {}

  /** Tells every instance (through LISTEN/NOTIFY, delivered at commit) to drop the user's cached sessions. */
  private async announceRevocation(tx: EntityManager, userId: string): Promise<void> {
    await tx.getConnection().execute('SELECT pg_notify(?, ?)', [REVOCATION_CHANNEL, `user:${userId}`], 'all', tx.getTransactionContext());
  }

  async listAgencies(em: EntityManager): Promise<PublicAgency[]> {
    const list = await em.find(Agency, {}, { orderBy: { name: 'asc' } });
    return list.map((a) => ({ id: a.id, name: a.name, kind: a.kind }));
  }

  async createAgency(em: EntityManager, input: { name: string; kind: AgencyKind }, ctx: AuditContext): Promise<PublicAgency> {
    const name = input.name.trim();
    if (!name) throw badRequest('The agency needs a name.');
    return em.transactional(async (tx) => {
      const [dup] = await tx
        .getConnection()
        .execute<{ n: number }[]>('SELECT 1 AS n FROM agency WHERE lower(name) = lower(?)', [name], 'all', tx.getTransactionContext());
      if (dup) throw conflict('An agency with that name already exists.', 'agency_exists');
      const a = tx.create(Agency, { id: randomUUID(), name, kind: input.kind, createdAt: new Date() });
      await tx.flush();
      await this.app.audit.record(tx, ctx, { action: 'admin.agency.create', resourceType: 'agency', resourceId: a.id, outcome: 'allowed' });
      return { id: a.id, name: a.name, kind: a.kind };
    });
  }

  async listUsers(em: EntityManager, ctx: AuditContext): Promise<AdminUser[]> {
    const list = await em.find(User, {}, { orderBy: { username: 'asc' } });
    await this.app.audit.record(em, ctx, { action: 'admin.user.list', resourceType: 'user', outcome: 'allowed' });
    return list.map(toAdminUser);
  }

  async createUser(
    em: EntityManager,
    input: { username: string; displayName: string; password: string; agencyId: string; roles: Role[] },
    ctx: AuditContext,
  ): Promise<AdminUser> {
    const username = input.username.trim().toLowerCase();
    const displayName = input.displayName.trim();
    if (!displayName) throw badRequest('The user needs a display name.');
    const roles = [...new Set(input.roles)];
    const passwordHash = await hashPassword(input.password);
    return em.transactional(async (tx) => {
      const agency = await tx.findOne(Agency, { id: input.agencyId });
      if (!agency) throw badRequest('The agency does not exist.', 'unknown_agency');
      if (await tx.count(User, { username })) throw conflict('That user name is taken.', 'username_taken');
      const u = tx.create(User, {
        id: randomUUID(),
        username,
        displayName,
        passwordHash,
        agencyId: agency.id,
        roles,
        active: true,
        createdAt: new Date(),
        deactivatedAt: null,
      });
      await tx.flush();
      await this.app.audit.record(tx, ctx, { action: 'admin.user.create', resourceType: 'user', resourceId: u.id, outcome: 'allowed' });
      return toAdminUser(u);
    });
  }

  /** Deactivates the user and revokes every session at once: their next request is refused. */
  async deactivateUser(em: EntityManager, userId: string, ctx: AuditContext): Promise<AdminUser> {
    return em
      .transactional(async (tx) => {
        const u = await tx.findOne(User, { id: userId });
        if (!u) throw notFound();
        if (u.active) {
          u.active = false;
          u.deactivatedAt = new Date();
          await tx.flush();
          await tx
            .getConnection()
            .execute(
              'UPDATE user_session SET revoked_at = now() WHERE user_id = ? AND revoked_at IS NULL',
              [u.id],
              'run',
              tx.getTransactionContext(),
            );
          await this.announceRevocation(tx, u.id);
        }
        await this.app.audit.record(tx, ctx, {
          action: 'admin.user.deactivate',
          resourceType: 'user',
          resourceId: u.id,
          outcome: 'allowed',
        });
        return toAdminUser(u);
      })
      .finally(() => this.app.identity.sessions.revokeUser(userId));
  }
}
