import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { markCaseSeen } from '../agenda/last-seen.js';
import { sql, transaction } from '../../db/sql.js';
import { badRequest, conflict } from '../../lib/problem.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { SubjectsService } from '../subjects/subjects.service.js';
import type { CaseAccessService } from './case-access.js';
import { configuredArea, requireAgencies } from './case-checks.js';
import { loadCaseDetail } from './case-read.js';
import type { CaseConfig } from './cases.policy.js';
import type { CaseOut, CreateCaseBody, ParticipantOut, UpdateCaseBody } from './cases.schemas.js';
import { CASE_DETAIL_SQL, ts, uuidArray } from './cases.sql.js';
import { recordDeputyChange } from './responsibility.service.js';
import { recordPlanItemChange, type PlanItemValues } from './plan-history.js';

type CaseOutT = Static<typeof CaseOut>;

/** The open actions (planned, in progress) an agency is responsible for in a case, locked (params: case id, agency id). */
const OPEN_ITEMS_OF_AGENCY_SQL = `SELECT id, goal, action, responsible_agency_id AS "responsibleAgencyId", due_date::text AS "dueDate", status
  FROM plan_item WHERE case_id = ? AND responsible_agency_id = ? AND status IN ('planned','in_progress') ORDER BY created_at, id FOR UPDATE`;

/** Cases themselves: open, read, change, close, reopen; and the agencies taking part. */
export class CasesService {
  private readonly subjects = new SubjectsService();

  constructor(
    private readonly app: FastifyInstance,
    private readonly access: CaseAccessService,
    private readonly config: CaseConfig,
  ) {}

  async createCase(em: EntityManager, actor: Actor, body: CreateCaseBody, ctx: AuditContext): Promise<CaseOutT> {
    const area = configuredArea(this.config, body.area, '/area');
    const subject = this.subjects.validate(body.subject);
    const agencyIds = [...new Set(body.agencyIds ?? [])];
    if (agencyIds.includes(actor.agencyId))
      throw badRequest(
        'The owning agency is not listed among the participants.',
        'owner_as_participant',
        `/agencyIds/${agencyIds.indexOf(actor.agencyId)}`,
      );
    return transaction(em, async (tx) => {
      await requireAgencies(tx, agencyIds, '/agencyIds');
      const s = await this.subjects.findOrCreate(tx, actor.agencyId, body.subject, subject);
      const id = randomUUID();
      await sql(
        tx,
        `INSERT INTO support_case (id, subject_id, owner_agency_id, owner_user_id, type, status, phase, area, reason)
         VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
        [id, s.subjectId, actor.agencyId, actor.id, body.type, body.type === 'avhoppare' ? 'assessment' : null, area, body.reason.trim()],
      );
      if (agencyIds.length > 0) {
        await sql(tx, 'INSERT INTO case_participant (case_id, agency_id, added_by_user_id) SELECT ?, unnest(?::uuid[]), ?', [
          id,
          uuidArray(agencyIds),
          actor.id,
        ]);
      }
      const events: AuditEvent[] = [];
      if (s.created)
        events.push({
          action: 'subject.create',
          resourceType: 'subject',
          resourceId: s.subjectId,
          subjectId: s.subjectId,
          caseId: id,
          outcome: 'allowed',
        });
      events.push({
        action: 'case.create',
        resourceType: 'case',
        resourceId: id,
        caseId: id,
        subjectId: s.subjectId,
        outcome: 'allowed',
        reason: s.created ? 'new_subject' : 'existing_subject',
      });
      await this.app.audit.record(tx, ctx, events);
      return (await this.caseDetail(tx, id))!;
    });
  }

  /** The whole case as stored (`withheld` empty): the owning unit's answer to its own writes. */
  private async caseDetail(em: EntityManager, caseId: string): Promise<CaseOutT | null> {
    const [row] = await sql<Omit<CaseOutT, 'withheld'>>(em, CASE_DETAIL_SQL, [caseId]);
    return row ? { ...row, withheld: [] } : null;
  }

  /**
   * One case as the caller may see it: the decision point shapes it field by field
   * (`policies/disclosure.yaml`); what crossed goes into the disclosure ledger with the read's
   * audit event, before anything is sent, and what did not is counted in `withheld`.
   */
  async readCase(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<CaseOutT> {
    const { access, detail, view } = await loadCaseDetail(this.app, em, actor, caseId, 'case.read', ctx);
    const shaped = this.app.policy.shape<CaseOutT>('case', { ...detail, withheld: [] }, view);
    await this.app.consents.recordRead(em, actor, ctx, access.facts, this.access.event(access, 'case.read', 'case', caseId), view);
    await markCaseSeen(em, actor.id, caseId);
    return { ...shaped, withheld: view.withheld };
  }

  async updateCase(em: EntityManager, actor: Actor, caseId: string, body: UpdateCaseBody, ctx: AuditContext): Promise<CaseOutT> {
    const area = body.area === undefined ? undefined : configuredArea(this.config, body.area, '/area');
    return this.access.write(em, actor, caseId, 'case.update', ctx, async (tx, access) => {
      const { facts } = access;
      if (body.phase !== undefined && facts.type !== 'avhoppare')
        throw badRequest('Only avhoppare cases have a phase.', 'phase_not_applicable', '/phase');
      if (body.status !== undefined && body.status !== facts.status) {
        if (body.status === 'closed') throw conflict('Close a case with POST /cases/{id}/close and an outcome.', 'use_close');
        if (!(facts.status === 'open' && body.status === 'active'))
          throw conflict(`A case cannot go from ${facts.status} to ${body.status}.`, 'illegal_transition');
      }
      const sets: string[] = [];
      const params: unknown[] = [];
      const set = (column: string, value: unknown): void => {
        sets.push(`${column} = ?`);
        params.push(value);
      };
      if (body.reason !== undefined) set('reason', body.reason.trim());
      if (area !== undefined) set('area', area);
      if (body.status !== undefined) set('status', body.status);
      if (body.phase !== undefined) set('phase', body.phase);
      if (body.deputyUserId !== undefined) {
        await recordDeputyChange(tx, facts, body.deputyUserId, actor.id);
        set('deputy_user_id', body.deputyUserId);
      }
      await sql(tx, `UPDATE support_case SET ${sets.join(', ')}, updated_at = now() WHERE id = ?`, [...params, caseId]);
      await this.app.audit.record(tx, ctx, this.access.event(access, 'case.update', 'case', caseId));
      return (await this.caseDetail(tx, caseId))!;
    });
  }

  // ---- participants -----------------------------------------------------------------------

  private async participants(em: EntityManager, caseId: string): Promise<Static<typeof ParticipantOut>[]> {
    return sql(
      em,
      `SELECT p.agency_id AS "agencyId", a.name, a.kind, ${ts('p.added_at')} AS "addedAt"
       FROM case_participant p JOIN agency a ON a.id = p.agency_id WHERE p.case_id = ? ORDER BY p.added_at, a.name`,
      [caseId],
    );
  }

  async addParticipant(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    agencyId: string,
    ctx: AuditContext,
  ): Promise<Static<typeof ParticipantOut>[]> {
    return this.access.write(em, actor, caseId, 'case.participants.write', ctx, async (tx, access) => {
      if (agencyId === access.facts.ownerAgencyId)
        throw badRequest('The owning agency takes part in its own case already.', 'owner_as_participant', '/agencyId');
      if (access.facts.participantAgencyIds.includes(agencyId))
        throw conflict('The agency already takes part in the case.', 'already_participant');
      await requireAgencies(tx, [agencyId], '/agencyId');
      await sql(tx, 'INSERT INTO case_participant (case_id, agency_id, added_by_user_id) VALUES (?, ?, ?)', [caseId, agencyId, actor.id]);
      await this.app.audit.record(tx, ctx, this.access.event(access, 'case.participant.add', 'agency', agencyId));
      return this.participants(tx, caseId);
    });
  }

  /**
   * Removes a participating agency. Its open plan actions (planned, in progress) stop it, unless
   * `reassignTo` (the owning agency or another participant) takes them over: each move is kept in
   * the item's history, in the same transaction as the removal.
   */
  async removeParticipant(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    agencyId: string,
    reassignTo: string | undefined,
    ctx: AuditContext,
  ): Promise<void> {
    await this.access.write(em, actor, caseId, 'case.participants.write', ctx, async (tx, access) => {
      const { facts } = access;
      if (!facts.participantAgencyIds.includes(agencyId))
        throw conflict('The agency does not take part in the case; there is nothing to remove.', 'not_participant');
      if (
        reassignTo !== undefined &&
        (reassignTo === agencyId || (reassignTo !== facts.ownerAgencyId && !facts.participantAgencyIds.includes(reassignTo)))
      ) {
        throw badRequest(
          'Give the actions to the owning agency or to another agency that stays in the case.',
          'reassign_target_invalid',
          '/reassignTo',
        );
      }
      const open = await sql<PlanItemValues & { id: string }>(tx, OPEN_ITEMS_OF_AGENCY_SQL, [caseId, agencyId]);
      if (open.length > 0 && reassignTo === undefined) {
        throw conflict(
          'The agency is responsible for plan items that are not done; give them to another agency (reassignTo) or cancel them first.',
          'agency_has_plan_items',
        );
      }
      const events: AuditEvent[] = [];
      for (const item of open) {
        await sql(tx, 'UPDATE plan_item SET responsible_agency_id = ?, updated_at = now() WHERE id = ?', [reassignTo, item.id]);
        await recordPlanItemChange(tx, {
          itemId: item.id,
          caseId,
          cause: 'reassign',
          before: item,
          after: { responsibleAgencyId: reassignTo },
          userId: actor.id,
          agencyId: actor.agencyId,
        });
        events.push(this.access.event(access, 'plan_item.update', 'plan_item', item.id));
      }
      await sql(tx, 'DELETE FROM case_participant WHERE case_id = ? AND agency_id = ?', [caseId, agencyId]);
      // The agency leaves the network too: its contact is no longer kept.
      await sql(tx, 'DELETE FROM case_contact WHERE case_id = ? AND agency_id = ?', [caseId, agencyId]);
      events.push(this.access.event(access, 'case.participant.remove', 'agency', agencyId));
      await this.app.audit.record(tx, ctx, events);
    });
  }
}
