import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import { notFound } from '../../lib/problem.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { Withheld } from '../../plugins/app/disclosure.js';
import type { Actor } from '../../types.js';
import type { CaseAccess, CaseAccessService } from './case-access.js';
import { DEEPEST_ROW, requireCaseAgency, requireLifeArea, requirePageWithin } from './case-checks.js';
import type { CaseConfig } from './cases.policy.js';
import type { MeetingBody, MeetingOut, PageQuery, PlanItemBody, PlanItemOut, UpdatePlanItemBody } from './cases.schemas.js';
import { MEETING_JSON, PLAN_ITEM_JSON, uuidArray } from './cases.sql.js';
import type { PageOf } from './journal.service.js';

type PlanItemOutT = Static<typeof PlanItemOut>;
type MeetingOutT = Static<typeof MeetingOut>;

const DENIED = Symbol('denied');

/** The joint plan (åtagandeplan): goals and actions with follow-ups; and the network meetings. */
export class PlanService {
  constructor(private readonly app: FastifyInstance, private readonly access: CaseAccessService, private readonly config: CaseConfig) {}


  private async planItem(em: EntityManager, itemId: string): Promise<PlanItemOutT> {
    const [row] = await sql<{ j: PlanItemOutT }>(em, `SELECT ${PLAN_ITEM_JSON} AS j FROM plan_item pi WHERE pi.id = ?`, [itemId]);
    return row!.j;
  }

  /** `at`: the JSON pointer of the plan item in the body ('' for the body itself). */
  private async insertPlanItem(tx: EntityManager, actor: Actor, access: CaseAccess, body: PlanItemBody, at = ''): Promise<string> {
    requireLifeArea(this.config, access.facts.type, body.lifeArea, `${at}/lifeArea`);
    requireCaseAgency(access.facts, body.responsibleAgencyId, 'responsible agency', `${at}/responsibleAgencyId`);
    const id = randomUUID();
    await sql(tx,
      `INSERT INTO plan_item (id, case_id, author_user_id, author_agency_id, responsible_agency_id, life_area, goal, action, due_date, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::date, ?)`,
      [id, access.facts.id, actor.id, actor.agencyId, body.responsibleAgencyId, body.lifeArea, body.goal.trim(), body.action.trim(), body.dueDate ?? null, body.status ?? 'planned']);
    return id;
  }

  async createPlanItem(em: EntityManager, actor: Actor, caseId: string, body: PlanItemBody, ctx: AuditContext): Promise<PlanItemOutT> {
    return this.access.write(em, actor, caseId, 'case.plan.write', ctx, async (tx, access) => {
      const id = await this.insertPlanItem(tx, actor, access, body);
      await this.app.audit.record(tx, ctx, this.access.event(access, 'plan_item.create', 'plan_item', id));
      return this.planItem(tx, id);
    });
  }

  async updatePlanItem(em: EntityManager, actor: Actor, caseId: string, itemId: string, body: UpdatePlanItemBody, ctx: AuditContext): Promise<PlanItemOutT> {
    const result = await this.access.write(em, actor, caseId, 'case.plan.write', ctx, async (tx, access) => {
      const [item] = await sql<{ id: string }>(tx, 'SELECT id FROM plan_item WHERE id = ? AND case_id = ? FOR UPDATE', [itemId, caseId]);
      if (!item) {
        // An item of another case (or none): audited like any other refusal, answered 404.
        await this.app.audit.record(tx, ctx, { ...this.access.event(access, 'plan_item.update', 'plan_item', itemId), outcome: 'denied', reason: 'not_in_case' });
        return DENIED;
      }
      if (body.responsibleAgencyId !== undefined) requireCaseAgency(access.facts, body.responsibleAgencyId, 'responsible agency', '/responsibleAgencyId');
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
      if (body.followUp !== undefined) {
        await sql(tx, 'INSERT INTO plan_item_follow_up (id, plan_item_id, author_user_id, author_agency_id, note) VALUES (?, ?, ?, ?, ?)',
          [randomUUID(), itemId, actor.id, actor.agencyId, body.followUp.trim()]);
      }
      await this.app.audit.record(tx, ctx, this.access.event(access, 'plan_item.update', 'plan_item', itemId));
      return this.planItem(tx, itemId);
    });
    if (result === DENIED) throw notFound();
    return result;
  }

  // ---- meetings --------------------------------------------------------------------------

  async createMeeting(em: EntityManager, actor: Actor, caseId: string, body: MeetingBody, ctx: AuditContext): Promise<MeetingOutT> {
    return this.access.write(em, actor, caseId, 'case.meeting.write', ctx, async (tx, access) => {
      body.agencyIds.forEach((a, i) => requireCaseAgency(access.facts, a, 'meeting agencies', `/agencyIds/${i}`));
      const id = randomUUID();
      await sql(tx,
        `INSERT INTO meeting (id, case_id, author_user_id, author_agency_id, date, agency_ids, people, agenda, minutes)
         VALUES (?, ?, ?, ?, ?::date, ?::uuid[], ARRAY(SELECT json_array_elements_text(?::json)), ?, ?)`,
        [id, caseId, actor.id, actor.agencyId, body.date, uuidArray(body.agencyIds), JSON.stringify((body.people ?? []).map((p) => p.trim())), body.agenda, body.minutes]);
      const events: AuditEvent[] = [this.access.event(access, 'meeting.create', 'meeting', id)];
      let position = 0;
      for (const d of body.decisions ?? []) {
        const planItemId = d.planItem ? await this.insertPlanItem(tx, actor, access, d.planItem, `/decisions/${position}/planItem`) : null;
        if (planItemId) events.push(this.access.event(access, 'plan_item.create', 'plan_item', planItemId));
        await sql(tx, 'INSERT INTO meeting_decision (id, meeting_id, position, text, plan_item_id) VALUES (?, ?, ?, ?, ?)',
          [randomUUID(), id, position++, d.text.trim(), planItemId]);
      }
      await this.app.audit.record(tx, ctx, events);
      const [row] = await sql<{ j: MeetingOutT }>(tx, `SELECT ${MEETING_JSON} AS j FROM meeting m WHERE m.id = ?`, [id]);
      return row!.j;
    });
  }

  /** Network meetings the caller may see (decided like entries by the decision point), latest first. */
  async listMeetings(em: EntityManager, actor: Actor, caseId: string, page: PageQuery, ctx: AuditContext): Promise<PageOf<MeetingOutT> & { withheld: Withheld[] }> {
    requirePageWithin(page, DEEPEST_ROW);
    const access = await this.access.load(em, actor, caseId, 'case.read', ctx);
    const groups = await sql<{ authorAgencyId: string; category: string; n: number }>(em,
      'SELECT author_agency_id AS "authorAgencyId", category, count(*)::int AS n FROM meeting WHERE case_id = ? GROUP BY 1, 2', [caseId]);
    const view = await this.access.view(em, actor, access);
    const allowed = view.allowedGroups(groups);
    const items = allowed.length === 0 ? [] : await sql<{ j: MeetingOutT }>(em,
      `SELECT ${MEETING_JSON} AS j FROM meeting m
       WHERE m.case_id = ? AND (m.author_agency_id, m.category) IN (SELECT * FROM unnest(?::uuid[], ?::text[]))
       ORDER BY m.date DESC, m.created_at DESC LIMIT ? OFFSET ?`,
      [caseId, uuidArray(allowed.map((g) => g.authorAgencyId)), `{${allowed.map((g) => g.category).join(',')}}`, page.pageSize, (page.page - 1) * page.pageSize]);
    const shown = this.app.policy.shapeItems('meeting', items.map((r) => r.j), view);
    await this.app.consents.recordRead(em, actor, ctx, access.facts, { ...this.access.event(access, 'meeting.list', 'meeting', caseId), resourceId: null }, view);
    return { items: shown, total: allowed.reduce((n, g) => n + g.n, 0), page: page.page, pageSize: page.pageSize, withheld: view.withheld };
  }
}
