import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { Withheld } from '../../plugins/app/disclosure.js';
import type { Actor } from '../../types.js';
import type { CaseAccessService } from './case-access.js';
import { DEEPEST_ROW, requireCaseAgency, requirePageWithin } from './case-checks.js';
import type { MeetingBody, MeetingOut, PageQuery } from './cases.schemas.js';
import { MEETING_JSON, uuidArray } from './cases.sql.js';
import type { PageOf } from './journal.service.js';
import type { PlanService } from './plan.service.js';

type MeetingOutT = Static<typeof MeetingOut>;

/** Network meetings of a case; a decision may add an action to the plan (through PlanService). */
export class MeetingsService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly access: CaseAccessService,
    private readonly plan: PlanService,
  ) {}

  async createMeeting(em: EntityManager, actor: Actor, caseId: string, body: MeetingBody, ctx: AuditContext): Promise<MeetingOutT> {
    return this.access.write(em, actor, caseId, 'case.meeting.write', ctx, async (tx, access) => {
      body.agencyIds.forEach((a, i) => requireCaseAgency(access.facts, a, 'meeting agencies', `/agencyIds/${i}`));
      const id = randomUUID();
      await sql(
        tx,
        `INSERT INTO meeting (id, case_id, author_user_id, author_agency_id, date, agency_ids, people, agenda, minutes)
         VALUES (?, ?, ?, ?, ?::date, ?::uuid[], ARRAY(SELECT json_array_elements_text(?::json)), ?, ?)`,
        [
          id,
          caseId,
          actor.id,
          actor.agencyId,
          body.date,
          uuidArray(body.agencyIds),
          JSON.stringify((body.people ?? []).map((p) => p.trim())),
          body.agenda,
          body.minutes,
        ],
      );
      const events: AuditEvent[] = [this.access.event(access, 'meeting.create', 'meeting', id)];
      let position = 0;
      for (const d of body.decisions ?? []) {
        const planItemId = d.planItem
          ? await this.plan.insertPlanItem(tx, actor, access, d.planItem, `/decisions/${position}/planItem`)
          : null;
        if (planItemId) events.push(this.access.event(access, 'plan_item.create', 'plan_item', planItemId));
        await sql(tx, 'INSERT INTO meeting_decision (id, meeting_id, position, text, plan_item_id) VALUES (?, ?, ?, ?, ?)', [
          randomUUID(),
          id,
          position++,
          d.text.trim(),
          planItemId,
        ]);
      }
      await this.app.audit.record(tx, ctx, events);
      const [row] = await sql<{ j: MeetingOutT }>(tx, `SELECT ${MEETING_JSON} AS j FROM meeting m WHERE m.id = ?`, [id]);
      return row!.j;
    });
  }

  /** Network meetings the caller may see (decided like entries by the decision point), latest first. */
  async listMeetings(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    page: PageQuery,
    ctx: AuditContext,
  ): Promise<PageOf<MeetingOutT> & { withheld: Withheld[] }> {
    requirePageWithin(page, DEEPEST_ROW);
    const access = await this.access.load(em, actor, caseId, 'case.read', ctx);
    const groups = await sql<{ authorAgencyId: string; category: string; n: number }>(
      em,
      'SELECT author_agency_id AS "authorAgencyId", category, count(*)::int AS n FROM meeting WHERE case_id = ? GROUP BY 1, 2',
      [caseId],
    );
    const view = await this.access.view(em, actor, access);
    const allowed = view.allowedGroups(groups);
    const items =
      allowed.length === 0
        ? []
        : await sql<{ j: MeetingOutT }>(
            em,
            `SELECT ${MEETING_JSON} AS j FROM meeting m
       WHERE m.case_id = ? AND (m.author_agency_id, m.category) IN (SELECT * FROM unnest(?::uuid[], ?::text[]))
       ORDER BY m.date DESC, m.created_at DESC LIMIT ? OFFSET ?`,
            [
              caseId,
              uuidArray(allowed.map((g) => g.authorAgencyId)),
              `{${allowed.map((g) => g.category).join(',')}}`,
              page.pageSize,
              (page.page - 1) * page.pageSize,
            ],
          );
    const shown = this.app.policy.shapeItems(
      'meeting',
      items.map((r) => r.j),
      view,
    );
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      { ...this.access.event(access, 'meeting.list', 'meeting', caseId), resourceId: null },
      view,
    );
    return { items: shown, total: allowed.reduce((n, g) => n + g.n, 0), page: page.page, pageSize: page.pageSize, withheld: view.withheld };
  }
}
