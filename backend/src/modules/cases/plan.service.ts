import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import { badRequest, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { stockholmDate } from '../consents/calendar.js';
import type { CaseAccess, CaseAccessService } from './case-access.js';
import { requireCaseAgency, requireLifeArea } from './case-checks.js';
import type { CaseConfig } from './cases.policy.js';
import type { PlanItemBody, PlanItemChangeOut, PlanItemOut, UpdatePlanItemBody } from './cases.schemas.js';
import { PLAN_ITEM_HISTORY_SQL, PLAN_ITEM_JSON } from './cases.sql.js';
import { LOCK_PLAN_ITEM_SQL, recordPlanItemChange, type PlanItemValues } from './plan-history.js';

type PlanItemOutT = Static<typeof PlanItemOut>;
type PlanItemChangeOutT = Static<typeof PlanItemChangeOut>;

const DENIED = Symbol('denied');

/** The joint plan (åtagandeplan): goals and actions with follow-ups. */
export class PlanService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly access: CaseAccessService,
    private readonly config: CaseConfig,
  ) {}

  private async planItem(em: EntityManager, itemId: string): Promise<PlanItemOutT> {
    const [row] = await sql<{ j: PlanItemOutT }>(em, `SELECT ${PLAN_ITEM_JSON} AS j FROM plan_item pi WHERE pi.id = ?`, [itemId]);
    return row!.j;
  }

  /** Inserts one plan item (also a meeting decision's); `at`: the JSON pointer of the plan item in the body ('' for the body itself). */
  async insertPlanItem(tx: EntityManager, actor: Actor, access: CaseAccess, body: PlanItemBody, at = ''): Promise<string> {
    requireLifeArea(this.config, access.facts.type, body.lifeArea, `${at}/lifeArea`);
    requireCaseAgency(access.facts, body.responsibleAgencyId, 'responsible agency', `${at}/responsibleAgencyId`);
    // A new action cannot be overdue from the start; an existing one may be moved to any day.
    if (body.dueDate && body.dueDate < stockholmDate(new Date()))
      throw badRequest('The due date has passed: choose today or a later day.', 'due_date_past', `${at}/dueDate`);
    const id = randomUUID();
    await sql(
      tx,
      `INSERT INTO plan_item (id, case_id, author_user_id, author_agency_id, responsible_agency_id, life_area, goal, action, due_date, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::date, ?)`,
      [
        id,
        access.facts.id,
        actor.id,
        actor.agencyId,
        body.responsibleAgencyId,
        body.lifeArea,
        body.goal.trim(),
        body.action.trim(),
        body.dueDate ?? null,
        body.status ?? 'planned',
      ],
    );
    return id;
  }

  async createPlanItem(em: EntityManager, actor: Actor, caseId: string, body: PlanItemBody, ctx: AuditContext): Promise<PlanItemOutT> {
    return this.access.write(em, actor, caseId, 'case.plan.write', ctx, async (tx, access) => {
      const id = await this.insertPlanItem(tx, actor, access, body);
      await this.app.audit.record(tx, ctx, this.access.event(access, 'plan_item.create', 'plan_item', id));
      return this.planItem(tx, id);
    });
  }

  async updatePlanItem(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    itemId: string,
    body: UpdatePlanItemBody,
    ctx: AuditContext,
  ): Promise<PlanItemOutT> {
    const result = await this.access.write(em, actor, caseId, 'case.plan.write', ctx, async (tx, access) => {
      const [item] = await sql<PlanItemValues & { id: string }>(tx, LOCK_PLAN_ITEM_SQL, [itemId, caseId]);
      if (!item) {
        // An item of another case (or none): audited like any other refusal, answered 404.
        await this.app.audit.record(tx, ctx, {
          ...this.access.event(access, 'plan_item.update', 'plan_item', itemId),
          outcome: 'denied',
          reason: 'not_in_case',
        });
        return DENIED;
      }
      if (body.responsibleAgencyId !== undefined)
        requireCaseAgency(access.facts, body.responsibleAgencyId, 'responsible agency', '/responsibleAgencyId');
      const sets: string[] = [];
      const params: unknown[] = [];
      const set = (column: string, value: unknown): void => {
        sets.push(`${column} = ?`);
        params.push(value);
      };
      if (body.goal !== undefined) set('goal', body.goal.trim());
      if (body.action !== undefined) set('action', body.action.trim());
      if (body.responsibleAgencyId !== undefined) set('responsible_agency_id', body.responsibleAgencyId);
      if (body.dueDate !== undefined) set('due_date', body.dueDate);
      if (body.status !== undefined) set('status', body.status);
      await sql(tx, `UPDATE plan_item SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = ?`, [...params, itemId]);
      await recordPlanItemChange(tx, {
        itemId,
        caseId,
        cause: 'update',
        before: item,
        userId: actor.id,
        agencyId: actor.agencyId,
        after: {
          goal: body.goal?.trim(),
          action: body.action?.trim(),
          responsibleAgencyId: body.responsibleAgencyId,
          dueDate: body.dueDate,
          status: body.status,
        },
      });
      if (body.followUp !== undefined) {
        await sql(tx, 'INSERT INTO plan_item_follow_up (id, plan_item_id, author_user_id, author_agency_id, note) VALUES (?, ?, ?, ?, ?)', [
          randomUUID(),
          itemId,
          actor.id,
          actor.agencyId,
          body.followUp.trim(),
        ]);
      }
      await this.app.audit.record(tx, ctx, this.access.event(access, 'plan_item.update', 'plan_item', itemId));
      return this.planItem(tx, itemId);
    });
    if (result === DENIED) throw notFound();
    return result;
  }

  /**
   * A plan item's changes, oldest first, to whoever may see the item itself: the decision point
   * decides the item as in the plan (an item the caller may not see answers 404, audited), and
   * shapes each change (`planItemChange`: an agency the caller may not know of becomes null).
   */
  async history(em: EntityManager, actor: Actor, caseId: string, itemId: string, ctx: AuditContext): Promise<PlanItemChangeOutT[]> {
    const access = await this.access.load(em, actor, caseId, 'case.read', ctx);
    const event = this.access.event(access, 'plan_item.history.read', 'plan_item', itemId);
    const [item] = await sql<{ authorAgencyId: string; category: string }>(
      em,
      'SELECT author_agency_id AS "authorAgencyId", category FROM plan_item WHERE id = ? AND case_id = ?',
      [itemId, caseId],
    );
    const view = await this.access.view(em, actor, access);
    if (!item || !view.admit({ itemType: 'plan_item', itemId, category: item.category, authorAgencyId: item.authorAgencyId })) {
      await this.app.audit.record(em, ctx, { ...event, outcome: 'denied', reason: item ? 'item_withheld' : 'not_in_case' });
      throw notFound();
    }
    const rows = await sql<{ j: PlanItemChangeOutT }>(em, PLAN_ITEM_HISTORY_SQL, [itemId]);
    const shown = rows.map((r) => this.app.policy.shape('planItemChange', r.j, view));
    await this.app.consents.recordRead(em, actor, ctx, access.facts, event, view);
    return shown;
  }
}
