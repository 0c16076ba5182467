import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import { conflict, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import type { CaseAccessService } from './case-access.js';
import type { NetworkContactOut, UpdateContactBody } from './network.schemas.js';
import { NETWORK_ROW_SQL, UPSERT_CONTACT_SQL } from './network.sql.js';

const DENIED = Symbol('denied');

/**
 * The network around the person: who to call at each agency of a case. The case's page shows the
 * network (CASE_DETAIL_SQL, shaped by `policies/disclosure.yaml`); this changes one agency's row.
 */
export class NetworkService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly access: CaseAccessService,
  ) {}

  /**
   * Names (or clears) the contact of one agency of the case. The owning unit may change every
   * agency's row, a participant that sees the case only its own; any other row answers 404
   * (audited) like a case it cannot see, so a partner learns nothing of agencies it may not know.
   */
  async updateContact(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    agencyId: string,
    body: UpdateContactBody,
    ctx: AuditContext,
  ): Promise<NetworkContactOut> {
    const result = await this.access.write(em, actor, caseId, 'case.network.write', ctx, async (tx, access) => {
      const { facts } = access;
      const event = this.access.event(access, 'case.contact.update', 'agency', agencyId);
      const d = this.app.policy.networkContactEdit(actor, access.decision, agencyId);
      if (!d.allow) {
        // Committed with the transaction: the denial stays recorded although the answer is a 404.
        await this.app.audit.record(tx, ctx, { ...event, outcome: 'denied', reason: d.reason, consentIds: [] });
        return DENIED;
      }
      if (agencyId !== facts.ownerAgencyId && !facts.participantAgencyIds.includes(agencyId))
        throw conflict('The agency does not take part in the case; add it as a participant first.', 'not_participant');
      await sql(tx, UPSERT_CONTACT_SQL, [JSON.stringify(trimmed(body)), caseId, agencyId, actor.id]);
      await this.app.audit.record(tx, ctx, event);
      const [row] = await sql<{ row: NetworkContactOut }>(tx, NETWORK_ROW_SQL, [caseId, agencyId]);
      return row!.row;
    });
    if (result === DENIED) throw notFound();
    return result;
  }
}

/** The given fields, without surrounding white space. */
function trimmed(body: UpdateContactBody): Record<string, string | null> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v.trim() : null]));
}
