import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import { announceUserRevocation } from '../admin/revocation.js';
import { scimProblem } from './scim.errors.js';
import type { UserFilter } from './scim.filter.js';
import { applyPatch } from './scim.patch.js';
import { SCIM, SCIM_MAX_RESULTS, type ScimListOut, type ScimPatchBody, type ScimUserBody, type ScimUserOut } from './scim.schemas.js';
import type { ScimClient } from './scim.tokens.js';
import {
  changedAttributes,
  displayNameOf,
  resourceOf,
  stateFromBody,
  stateOf,
  usernameBase,
  usernameCandidates,
  type ScimUserRow,
  type ScimUserState,
} from './scim.user.js';

const COLUMNS = `u.id, u.username, u.display_name, u.email, u.oidc_subject, u.external_id, u.given_name, u.family_name,
  u.active, u.created_at, u.updated_at`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Roles are given in Samverka, never by a directory. A new user gets the least role, `partner`
 * (the role column needs one): a partner opens no case, and sees another agency's case only
 * through the consent gate when its agency takes part; in a social services agency it opens none
 * of the agency's own cases (only its social workers do). An admin gives more.
 */
const NEW_USER_ROLES = ['partner'];

/** The agency's users for its directory (RFC 7644): every read and change scoped to the token's agency, audited. */
export class ScimUsers {
  constructor(private readonly app: FastifyInstance) {}

  /** The audit context of a directory's request: the token is the actor, the agency its agency. */
  static auditContext(ctx: AuditContext, client: ScimClient): AuditContext {
    return { ...ctx, actorId: client.tokenId, actorAgencyId: client.agencyId, actorRole: 'scim' };
  }

  async list(
    em: EntityManager,
    client: ScimClient,
    filter: UserFilter,
    startIndex: number,
    count: number,
    ctx: AuditContext,
  ): Promise<ScimListOut> {
    const start = Math.max(1, startIndex);
    const size = Math.min(Math.max(0, count), SCIM_MAX_RESULTS);
    const [r] = await sql<{ total: number; page: ScimUserRow[] }>(
      em,
      `WITH m AS (
         SELECT ${COLUMNS} FROM app_user u
         WHERE u.agency_id = ? AND u.scim_deleted_at IS NULL
           AND (?::text IS NULL OR lower(coalesce(u.oidc_subject, u.username)) = lower(?::text))
           AND (?::text IS NULL OR u.external_id = ?::text))
       SELECT (SELECT count(*) FROM m)::int AS total,
              coalesce((SELECT json_agg(p) FROM (SELECT * FROM m ORDER BY created_at, id OFFSET ? LIMIT ?) p), '[]') AS page`,
      [client.agencyId, filter.userName, filter.userName, filter.externalId, filter.externalId, start - 1, size],
    );
    const page = r!.page;
    await this.app.audit.record(em, ctx, {
      action: 'scim.user.list',
      resourceType: 'user',
      outcome: 'allowed',
      reason: `results:${page.length}`,
    });
    return { schemas: [SCIM.list], totalResults: r!.total, startIndex: start, itemsPerPage: page.length, Resources: page.map(resourceOf) };
  }

  async get(em: EntityManager, client: ScimClient, id: string, ctx: AuditContext): Promise<ScimUserOut> {
    const row = await this.find(em, client, id, false);
    if (!row) return this.deny(em, ctx, 'scim.user.read', id);
    await this.app.audit.record(em, ctx, { action: 'scim.user.read', resourceType: 'user', resourceId: row.id, outcome: 'allowed' });
    return resourceOf(row);
  }

  async create(em: EntityManager, client: ScimClient, body: ScimUserBody, ctx: AuditContext): Promise<ScimUserOut> {
    const s = stateFromBody(body, null);
    const base = usernameBase(s.userName);
    return this.unique(() =>
      transaction(em, async (tx) => {
        await this.refuseDuplicates(tx, client, s, null);
        // A user the directory deleted comes back as the same row, so its audit trail stays one.
        const [deleted] = await sql<{ id: string }>(
          tx,
          `SELECT id FROM app_user WHERE agency_id = ? AND scim_deleted_at IS NOT NULL AND lower(oidc_subject) = lower(?)
           ORDER BY scim_deleted_at DESC LIMIT 1 FOR UPDATE`,
          [client.agencyId, s.userName],
        );
        let row: ScimUserRow;
        if (deleted) {
          await sql(tx, 'UPDATE app_user SET scim_deleted_at = NULL, active = false WHERE id = ?', [deleted.id]);
          row = await this.write(tx, client, deleted.id, s, null);
        } else {
          const username = await this.freeUsername(tx, base);
          const [inserted] = await sql<ScimUserRow>(
            tx,
            `INSERT INTO app_user AS u (id, username, display_name, password_hash, agency_id, roles, active, deactivated_at,
                                        email, oidc_subject, external_id, given_name, family_name)
             VALUES (?, ?, ?, NULL, ?, ?::text[], ?::boolean, CASE WHEN ?::boolean THEN NULL ELSE now() END, ?, ?, ?, ?, ?)
             RETURNING ${COLUMNS}`,
            [
              randomUUID(),
              username,
              displayNameOf(s),
              client.agencyId,
              NEW_USER_ROLES,
              s.active,
              s.active,
              s.email,
              s.userName,
              s.externalId,
              s.givenName,
              s.familyName,
            ],
          );
          row = inserted!;
        }
        await this.app.audit.record(tx, ctx, {
          action: 'scim.user.create',
          resourceType: 'user',
          resourceId: row.id,
          outcome: 'allowed',
          reason: deleted ? 'restored' : null,
        });
        return resourceOf(row);
      }),
    );
  }

  /** PUT: the body replaces what SCIM may set (attributes left out are cleared; `active` left out stays). */
  async replace(em: EntityManager, client: ScimClient, id: string, body: ScimUserBody, ctx: AuditContext): Promise<ScimUserOut> {
    return this.change(em, client, id, ctx, 'scim.user.replace', (before) => stateFromBody(body, before.active));
  }

  async patch(em: EntityManager, client: ScimClient, id: string, body: ScimPatchBody, ctx: AuditContext): Promise<ScimUserOut> {
    return this.change(em, client, id, ctx, 'scim.user.patch', (before) => applyPatch(before, body));
  }

  /**
   * DELETE deactivates the user and ends their sessions; the row stays for the audit trail, and
   * SCIM answers 404 for it from then on (RFC 7644 §3.6).
   */
  async remove(em: EntityManager, client: ScimClient, id: string, ctx: AuditContext): Promise<void> {
    let found = false;
    try {
      await transaction(em, async (tx) => {
        const row = await this.find(tx, client, id, true);
        if (!row) return;
        found = true;
        await sql(
          tx,
          `UPDATE app_user SET active = false, deactivated_at = coalesce(deactivated_at, now()), scim_deleted_at = now(), updated_at = now()
           WHERE id = ?`,
          [row.id],
        );
        await this.endSessions(tx, row.id);
        await this.app.audit.record(tx, ctx, { action: 'scim.user.delete', resourceType: 'user', resourceId: row.id, outcome: 'allowed' });
      });
    } finally {
      if (found) this.app.identity.sessions.revokeUser(id.toLowerCase());
    }
    if (!found) await this.deny(em, ctx, 'scim.user.delete', id);
  }

  private async change(
    em: EntityManager,
    client: ScimClient,
    id: string,
    ctx: AuditContext,
    action: string,
    next: (before: ScimUserState) => ScimUserState,
  ): Promise<ScimUserOut> {
    let deactivated = false;
    let out: ScimUserOut | null;
    try {
      out = await this.unique(() =>
        transaction(em, async (tx) => {
          const row = await this.find(tx, client, id, true);
          if (!row) return null;
          const before = stateOf(row);
          const after = next(before);
          const changed = changedAttributes(before, after);
          await this.refuseDuplicates(tx, client, after, row.id);
          const written = changed.length ? await this.write(tx, client, row.id, after, row) : row;
          if (before.active && !after.active) {
            await this.endSessions(tx, row.id);
            deactivated = true;
          }
          await this.app.audit.record(tx, ctx, {
            action,
            resourceType: 'user',
            resourceId: row.id,
            outcome: 'allowed',
            reason: changed.length ? `changed:${changed.join(',')}` : 'unchanged',
          });
          return resourceOf(written);
        }),
      );
    } finally {
      if (deactivated) this.app.identity.sessions.revokeUser(id.toLowerCase());
    }
    return out ?? this.deny(em, ctx, action, id);
  }

  /** Writes the state; the user name follows a changed userName (a deleted row is revived with `before` null). */
  private async write(
    tx: EntityManager,
    client: ScimClient,
    id: string,
    s: ScimUserState,
    before: ScimUserRow | null,
  ): Promise<ScimUserRow> {
    const renamed = before === null || (before.oidc_subject ?? before.username).toLowerCase() !== s.userName.toLowerCase();
    const username = renamed ? await this.freeUsername(tx, usernameBase(s.userName), id) : null;
    const [row] = await sql<ScimUserRow>(
      tx,
      `UPDATE app_user u SET username = coalesce(?, u.username), display_name = ?, email = ?, oidc_subject = ?, external_id = ?,
              given_name = ?, family_name = ?, active = ?::boolean,
              deactivated_at = CASE WHEN ?::boolean THEN NULL ELSE coalesce(u.deactivated_at, now()) END, updated_at = now()
       WHERE u.id = ? AND u.agency_id = ?
       RETURNING ${COLUMNS}`,
      [username, displayNameOf(s), s.email, s.userName, s.externalId, s.givenName, s.familyName, s.active, s.active, id, client.agencyId],
    );
    return row!;
  }

  /** userName and externalId are unique within the agency (RFC 7643 §4.1.1): 409 uniqueness. */
  private async refuseDuplicates(tx: EntityManager, client: ScimClient, s: ScimUserState, self: string | null): Promise<void> {
    const [dup] = await sql<{ id: string }>(
      tx,
      `SELECT id FROM app_user u
       WHERE u.agency_id = ? AND u.scim_deleted_at IS NULL AND u.id IS DISTINCT FROM ?::uuid
         AND (lower(coalesce(u.oidc_subject, u.username)) = lower(?) OR u.external_id = ?::text)
       LIMIT 1`,
      [client.agencyId, self, s.userName, s.externalId],
    );
    if (dup) throw duplicate();
  }

  /**
   * User names are unique across agencies: when the name is taken (by anyone), the first free
   * `-2` … `-9` suffix, else a random one, so that a directory never learns another agency's users.
   */
  private async freeUsername(tx: EntityManager, base: string, self: string | null = null): Promise<string> {
    const candidates = usernameCandidates(base);
    const [free] = await sql<{ username: string }>(
      tx,
      `SELECT c.username FROM unnest(?::text[]) WITH ORDINALITY AS c(username, n)
       WHERE NOT EXISTS (SELECT 1 FROM app_user u WHERE u.username = c.username AND u.id IS DISTINCT FROM ?::uuid)
       ORDER BY c.n LIMIT 1`,
      [candidates, self],
    );
    return free?.username ?? `${base}-${randomBytes(3).toString('hex')}`;
  }

  private async find(em: EntityManager, client: ScimClient, id: string, forUpdate: boolean): Promise<ScimUserRow | null> {
    if (!UUID.test(id)) return null;
    const [row] = await sql<ScimUserRow>(
      em,
      forUpdate
        ? `SELECT ${COLUMNS} FROM app_user u WHERE u.id = ? AND u.agency_id = ? AND u.scim_deleted_at IS NULL FOR UPDATE`
        : `SELECT ${COLUMNS} FROM app_user u WHERE u.id = ? AND u.agency_id = ? AND u.scim_deleted_at IS NULL`,
      [id, client.agencyId],
    );
    return row ?? null;
  }

  /** Another agency's user answers exactly like a missing one; the attempt is audited. */
  private async deny(em: EntityManager, ctx: AuditContext, action: string, id: string): Promise<never> {
    await this.app.audit.record(em, ctx, {
      action,
      resourceType: 'user',
      resourceId: UUID.test(id) ? id : null,
      outcome: 'denied',
      reason: 'not_found',
    });
    throw notFound();
  }

  /** Revokes every session of the user; every instance drops them from its cache at commit, as on an admin's deactivation. */
  private async endSessions(tx: EntityManager, userId: string): Promise<void> {
    await sql(tx, 'UPDATE user_session SET revoked_at = now() WHERE user_id = ? AND revoked_at IS NULL', [userId]);
    await announceUserRevocation(tx, userId);
  }

  /** A unique index that a concurrent request won the race for: the same 409 as the check before it. */
  private async unique<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw duplicate();
      throw e;
    }
  }
}

const duplicate = (): Error =>
  scimProblem(
    409,
    'uniqueness',
    'A user of this agency already has that userName or externalId. Look it up with a filter and update it instead.',
  );
