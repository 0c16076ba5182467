import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { badRequest, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import type { ObservationBodyT, ObservationOutT, ObservationPageT, ObservationsQueryT } from './areas.schemas.js';
import { INSERT_OBSERVATION_SQL, OBSERVATIONS_SQL } from './areas.sql.js';
import { refuseIdentities } from './no-identities.js';

/** A clock a few minutes ahead of the server's still counts as now. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Observations of an area: recorded by the agencies working there, read by them, hidden by the coordinator. */
export class ObservationsService {
  constructor(private readonly app: FastifyInstance) {}

  /** The category code of policies/observation-categories.yaml, or 400 naming the field. */
  requireCategory(code: string, path: string): void {
    if (!Object.hasOwn(this.app.policy.policies.observationCategories, code))
      throw badRequest('Unknown category: choose one of the observation categories.', 'unknown_category', path);
  }

  async create(em: EntityManager, actor: Actor, ctx: AuditContext, area: string, body: ObservationBodyT): Promise<ObservationOutT> {
    this.requireCategory(body.category, '/category');
    const observedAt = new Date(body.observedAt);
    if (observedAt.getTime() > Date.now() + CLOCK_SKEW_MS)
      throw badRequest('The observation is dated in the future: give when it was seen.', 'observed_in_future', '/observedAt');
    if (body.ageFrom !== undefined && body.ageTo !== undefined && body.ageFrom > body.ageTo)
      throw badRequest('The age span ends before it starts: give the youngest age first.', 'bad_age_span', '/ageTo');
    refuseIdentities({ '/place': body.place, '/description': body.description });
    const id = randomUUID();
    return transaction(em, async (tx) => {
      const [row] = await sql<{ observation: ObservationOutT }>(tx, INSERT_OBSERVATION_SQL, [
        id,
        area,
        observedAt,
        body.place,
        body.location?.latitude ?? null,
        body.location?.longitude ?? null,
        body.category,
        body.groupSize ?? null,
        body.ageFrom ?? null,
        body.ageTo ?? null,
        body.description,
        actor.agencyId,
        actor.id,
      ]);
      await this.app.audit.record(tx, ctx, {
        action: 'area.observation.create',
        resourceType: 'area_observation',
        resourceId: id,
        outcome: 'allowed',
      });
      return row!.observation;
    });
  }

  /** One page, audited (the area and the page's size) before it leaves. */
  async list(em: EntityManager, ctx: AuditContext, area: string, q: ObservationsQueryT): Promise<ObservationPageT> {
    if (q.category !== undefined) this.requireCategory(q.category, '/category');
    if (q.from && q.to && q.from > q.to)
      throw badRequest('The period ends before it starts: give an earlier from date.', 'bad_period', '/to');
    const page = q.page ?? 1;
    const pageSize = q.pageSize ?? 25;
    const [row] = await sql<{ total: number; items: ObservationOutT[] }>(em, OBSERVATIONS_SQL, [
      area,
      q.from ?? null,
      q.to ?? null,
      q.category ?? null,
      q.category ?? null,
      pageSize,
      (page - 1) * pageSize,
    ]);
    await this.app.audit.record(em, ctx, { action: 'area.observation.list', resourceType: 'area', resourceId: area, outcome: 'allowed' });
    return { items: row!.items, total: row!.total, page, pageSize };
  }

  /** The area of a visible observation, or null (none, or already hidden). */
  async areaOf(em: EntityManager, id: string): Promise<string | null> {
    const [row] = await sql<{ area: string }>(em, 'SELECT area FROM area_observation WHERE id = ? AND hidden_at IS NULL', [id]);
    return row?.area ?? null;
  }

  /** Hides an observation from every list, keeping the row and the reason for the audit trail. */
  async hide(em: EntityManager, actor: Actor, ctx: AuditContext, id: string, reason: string): Promise<void> {
    refuseIdentities({ '/reason': reason });
    await transaction(em, async (tx) => {
      const rows = await sql<{ id: string }>(
        tx,
        'UPDATE area_observation SET hidden_at = now(), hidden_by = ?, hidden_reason = ? WHERE id = ? AND hidden_at IS NULL RETURNING id',
        [actor.id, reason, id],
      );
      if (rows.length === 0) throw notFound();
      await this.app.audit.record(tx, ctx, {
        action: 'area.observation.hide',
        resourceType: 'area_observation',
        resourceId: id,
        outcome: 'allowed',
      });
    });
  }
}
