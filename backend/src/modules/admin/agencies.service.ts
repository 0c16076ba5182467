import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { badRequest, conflict, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { AgencyKind } from '../identity/identity.entities.js';
import { REVOCATION_CHANNEL } from '../identity/session-cache.js';
import type { AgencyPatchBody, IdentityProviderBody } from './admin.schemas.js';
import {
  AGENCY_LIST,
  AGENCY_LOCK,
  AGENCY_NAME_TAKEN,
  AGENCY_ONE,
  AGENCY_SET_ACTIVE,
  AGENCY_UPDATE,
  END_AGENCY_SESSIONS,
  IDP_DELETE,
  IDP_UPSERT,
} from './admin.sql.js';
import { recordChange } from './change-log.js';

export interface AdminAgency {
  id: string;
  name: string;
  kind: AgencyKind;
  areas: string[];
  active: boolean;
  localSignIn: boolean;
  identityProvider: IdentityProviderBody | null;
  userCount: number;
}

/** Agencies, their areas and how their users sign in. No secret value is ever read or written here. */
export class AgenciesAdmin {
  constructor(
    private readonly app: FastifyInstance,
    private readonly areas: readonly string[],
  ) {}

  async list(em: EntityManager): Promise<AdminAgency[]> {
    const [row] = await sql<{ items: AdminAgency[] }>(em, AGENCY_LIST);
    return row?.items ?? [];
  }

  async get(em: EntityManager, agencyId: string): Promise<AdminAgency> {
    const [row] = await sql<{ agency: AdminAgency }>(em, AGENCY_ONE, [agencyId]);
    if (!row) throw notFound();
    return row.agency;
  }

  async create(em: EntityManager, input: { name: string; kind: AgencyKind }, ctx: AuditContext): Promise<AdminAgency> {
    const name = input.name.trim();
    if (!name) throw badRequest('The agency needs a name.');
    const id = randomUUID();
    await transaction(em, async (tx) => {
      const [dup] = await sql(tx, AGENCY_NAME_TAKEN, [name, id]);
      if (dup) throw conflict('An agency with that name already exists.', 'agency_exists');
      await sql(tx, 'INSERT INTO agency (id, name, kind, created_at) VALUES (?, ?, ?, now())', [id, name, input.kind]);
      await recordChange(this.app.audit, tx, ctx, {
        action: 'admin.agency.create',
        resourceType: 'agency',
        resourceId: id,
        before: null,
        after: { name, kind: input.kind },
      });
    });
    return this.get(em, id);
  }

  async update(em: EntityManager, agencyId: string, input: AgencyPatchBody, ctx: AuditContext): Promise<AdminAgency> {
    const unknown = (input.areas ?? []).flatMap((a, i) => (this.areas.includes(a) ? [] : [`/areas/${i}`]));
    if (unknown.length) throw badRequest("Choose areas from the municipality's list (policies/areas.yaml).", 'unknown_area', unknown);
    const idp = input.identityProvider;
    if (idp && !idp.scopes.includes('openid')) {
      throw badRequest('The scopes must include "openid".', 'openid_scope_missing', '/identityProvider/scopes');
    }
    const name = input.name?.trim();
    await transaction(em, async (tx) => {
      const [locked] = await sql(tx, AGENCY_LOCK, [agencyId]);
      if (!locked) throw notFound();
      const before = await this.get(tx, agencyId);
      if (name) {
        const [dup] = await sql(tx, AGENCY_NAME_TAKEN, [name, agencyId]);
        if (dup) throw conflict('An agency with that name already exists.', 'agency_exists');
      }
      await sql(tx, AGENCY_UPDATE, [name ?? null, input.kind ?? null, input.areas ?? null, input.localSignIn ?? null, agencyId]);
      if (idp === null) await sql(tx, IDP_DELETE, [agencyId]);
      else if (idp) {
        await sql(tx, IDP_UPSERT, [agencyId, idp.issuer, idp.clientId, idp.clientSecretRef, idp.scopes, idp.subjectClaim, idp.acrValues]);
      }
      const after = await this.get(tx, agencyId);
      if (!after.localSignIn && !after.identityProvider) {
        throw badRequest(
          'Users of this agency could not sign in: allow local sign-in or configure an identity provider.',
          'no_sign_in',
          '/localSignIn',
        );
      }
      await recordChange(this.app.audit, tx, ctx, {
        action: 'admin.agency.update',
        resourceType: 'agency',
        resourceId: agencyId,
        before: settings(before),
        after: settings(after),
      });
    });
    return this.get(em, agencyId);
  }

  /**
   * A deactivated agency's users are signed out at once on every instance, and stay out until it
   * is reactivated. The admin's own agency cannot be deactivated by them.
   */
  async setActive(em: EntityManager, agencyId: string, active: boolean, ctx: AuditContext): Promise<AdminAgency> {
    if (!active && agencyId === ctx.actorAgencyId) {
      throw badRequest('You cannot deactivate your own agency. Ask an admin of another agency.', 'own_agency');
    }
    let signedOut: string[] = [];
    await transaction(em, async (tx) => {
      const [locked] = await sql(tx, AGENCY_LOCK, [agencyId]);
      if (!locked) throw notFound();
      const before = await this.get(tx, agencyId);
      if (before.active !== active) await sql(tx, AGENCY_SET_ACTIVE, [active, active, agencyId]);
      if (!active) {
        const [row] = await sql<{ users: string[] }>(tx, END_AGENCY_SESSIONS, [agencyId]);
        signedOut = row?.users ?? [];
        // One notification for the whole agency: every instance drops its cached sessions.
        await sql(tx, 'SELECT pg_notify(?, ?)', [REVOCATION_CHANNEL, `agency:${agencyId}`]);
      }
      await recordChange(this.app.audit, tx, ctx, {
        action: active ? 'admin.agency.reactivate' : 'admin.agency.deactivate',
        resourceType: 'agency',
        resourceId: agencyId,
        before: { active: before.active },
        after: { active },
      });
    });
    for (const userId of signedOut) this.app.identity.sessions.revokeUser(userId);
    return this.get(em, agencyId);
  }
}

/** The administered settings of an agency, for the change log. */
function settings(a: AdminAgency): Record<string, unknown> {
  return { name: a.name, kind: a.kind, areas: a.areas, localSignIn: a.localSignIn, active: a.active, identityProvider: a.identityProvider };
}
