import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from '../../db/sql.js';
import { badRequest, forbidden, notFound } from '../../lib/problem.js';
import { auditContextOf } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';

/**
 * Who may act on an area's picture: every decision goes to the decision point's `areaAccess`
 * (role, and whether the caller's agency works in the area). A denial is audited before the answer.
 */
export class AreaAccess {
  constructor(private readonly app: FastifyInstance) {}

  /** The configured area named in a path (case-insensitive), or 400. */
  area(name: string): string {
    const wanted = name.trim().toLocaleLowerCase('sv');
    const found = this.app.policy.policies.areas.areas.find((a) => a.toLocaleLowerCase('sv') === wanted);
    if (!found) throw badRequest('Unknown area: choose one of the areas of the municipality.', 'unknown_area');
    return found;
  }

  /** The areas the caller's agency works in (`agency.areas`), read fresh: an admin's change counts at once. */
  async agencyAreas(em: EntityManager, actor: Actor): Promise<string[]> {
    const [row] = await sql<{ areas: string[] }>(em, 'SELECT areas FROM agency WHERE id = ?', [actor.agencyId]);
    return row?.areas ?? [];
  }

  /**
   * The caller may perform `action` in `area`; else the denial is audited and answered 403 (areas
   * are not secret). `agencyAreas`: the agency's areas when the caller has just read them.
   */
  async require(request: FastifyRequest, actor: Actor, action: string, area: string, agencyAreas?: readonly string[]): Promise<void> {
    const d = this.app.policy.areaAccess(actor, action, { area, agencyAreas: agencyAreas ?? (await this.agencyAreas(request.em, actor)) });
    if (d.allow) return;
    await this.app.audit.record(request.em, auditContextOf(request), {
      action,
      resourceType: 'area',
      resourceId: area,
      outcome: 'denied',
      reason: d.reason,
    });
    throw forbidden('Your agency does not work in this area. Ask an administrator to add the area to your agency if it should.');
  }

  /**
   * One observation, meeting or action found by id (`area` null: no such row): the caller may
   * act on it only within its agency's areas; anything else answers 404 like a missing row.
   */
  async requireItem(
    request: FastifyRequest,
    actor: Actor,
    action: string,
    resourceType: string,
    id: string,
    area: string | null,
  ): Promise<string> {
    const d =
      area === null ? null : this.app.policy.areaAccess(actor, action, { area, agencyAreas: await this.agencyAreas(request.em, actor) });
    if (area !== null && d?.allow) return area;
    await this.app.audit.record(request.em, auditContextOf(request), {
      action,
      resourceType,
      resourceId: id,
      outcome: 'denied',
      reason: d?.reason ?? 'not_found',
    });
    throw notFound();
  }
}
