import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { HttpProblem, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { ScimTokenOut } from './scim.schemas.js';

/** The directory calling: which token, for which agency. */
export interface ScimClient {
  tokenId: string;
  agencyId: string;
}

/** Tokens are 256 random bits: a plain SHA-256 is enough to keep them unreadable in the database. */
export const tokenHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

const TOKEN = /^Bearer (scim_[A-Za-z0-9_-]{43})$/;

const refused = (): HttpProblem =>
  new HttpProblem(
    401,
    'unauthorized',
    'Not signed in',
    'The SCIM bearer token is missing, wrong or revoked. Ask an administrator for a new one.',
    {
      'www-authenticate': 'Bearer realm="scim"',
    },
  );

interface TokenRow {
  id: string;
  agency_id: string;
  created_at: Date;
  created_by: string | null;
  revoked_at: Date | null;
}

const out = (r: TokenRow): ScimTokenOut => ({
  id: r.id,
  agencyId: r.agency_id,
  createdAt: new Date(r.created_at).toISOString(),
  createdBy: r.created_by,
  revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
});

/** Bearer tokens per agency: an admin creates (the token is shown once) and revokes them; a directory presents one. */
export class ScimTokens {
  constructor(private readonly app: FastifyInstance) {}

  /** The token's client, or 401 (audited): unknown, revoked, or of a deactivated agency. */
  async authenticate(em: EntityManager, authorization: string | undefined, ctx: AuditContext): Promise<ScimClient> {
    const m = authorization ? TOKEN.exec(authorization) : null;
    const [row] = m
      ? await sql<{ id: string; agency_id: string }>(
          em,
          `SELECT t.id, t.agency_id FROM scim_token t JOIN agency a ON a.id = t.agency_id
           WHERE t.token_hash = ? AND t.revoked_at IS NULL AND a.active`,
          [tokenHash(m[1]!)],
        )
      : [];
    if (!row) {
      await this.app.audit.record(em, ctx, {
        action: 'scim.authenticate',
        resourceType: 'scim_token',
        outcome: 'denied',
        reason: m ? 'bad_token' : 'no_token',
      });
      throw refused();
    }
    return { tokenId: row.id, agencyId: row.agency_id };
  }

  async list(em: EntityManager, agencyId: string, ctx: AuditContext): Promise<ScimTokenOut[]> {
    const rows = await transaction(em, async (tx) => {
      await this.requireAgency(tx, agencyId);
      await this.app.audit.record(tx, ctx, {
        action: 'admin.scim_token.list',
        resourceType: 'agency',
        resourceId: agencyId,
        outcome: 'allowed',
      });
      return sql<TokenRow>(
        tx,
        'SELECT id, agency_id, created_at, created_by, revoked_at FROM scim_token WHERE agency_id = ? ORDER BY created_at, id',
        [agencyId],
      );
    });
    return rows.map(out);
  }

  async create(em: EntityManager, agencyId: string, ctx: AuditContext): Promise<ScimTokenOut & { token: string }> {
    const token = `scim_${randomBytes(32).toString('base64url')}`;
    const id = randomUUID();
    const [row] = await transaction(em, async (tx) => {
      await this.requireAgency(tx, agencyId);
      const rows = await sql<TokenRow>(
        tx,
        `INSERT INTO scim_token (id, agency_id, token_hash, created_by) VALUES (?, ?, ?, ?)
         RETURNING id, agency_id, created_at, created_by, revoked_at`,
        [id, agencyId, tokenHash(token), ctx.actorId],
      );
      await this.app.audit.record(tx, ctx, {
        action: 'admin.scim_token.create',
        resourceType: 'scim_token',
        resourceId: id,
        outcome: 'allowed',
      });
      return rows;
    });
    return { ...out(row!), token };
  }

  /** Revoked at once: the token's next request is refused. Revoking a revoked token changes nothing. */
  async revoke(em: EntityManager, agencyId: string, tokenId: string, ctx: AuditContext): Promise<void> {
    await transaction(em, async (tx) => {
      const [row] = await sql<{ id: string }>(
        tx,
        'UPDATE scim_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = ? AND agency_id = ? RETURNING id',
        [tokenId, agencyId],
      );
      if (!row) throw notFound();
      await this.app.audit.record(tx, ctx, {
        action: 'admin.scim_token.revoke',
        resourceType: 'scim_token',
        resourceId: tokenId,
        outcome: 'allowed',
      });
    });
  }

  private async requireAgency(tx: EntityManager, agencyId: string): Promise<void> {
    const [a] = await sql<{ id: string }>(tx, 'SELECT id FROM agency WHERE id = ?', [agencyId]);
    if (!a) throw notFound();
  }
}
