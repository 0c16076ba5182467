import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import { badRequest, conflict } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import type { CaseAccessService, CaseFacts } from './case-access.js';
import type { CaseOut, CaseworkerOut, ResponsibilityChangeOut } from './cases.schemas.js';
import { CASE_DETAIL_SQL, ts, userName } from './cases.sql.js';

type CaseOutT = Static<typeof CaseOut>;
type ChangeT = Static<typeof ResponsibilityChangeOut>;
type CaseworkerT = Static<typeof CaseworkerOut>;

/** Who may hold a case of an agency (param: the agency): its active social workers. */
const CASEWORKERS_SQL = `SELECT u.id, u.display_name AS "displayName" FROM app_user u
   WHERE u.agency_id = ? AND u.active AND u.roles @> '{social_worker}' ORDER BY u.display_name, u.id`;
const IS_CASEWORKER_SQL = `SELECT EXISTS (SELECT 1 FROM app_user u WHERE u.id = ? AND u.agency_id = ? AND u.active AND u.roles @> '{social_worker}') AS ok`;
/** Params: id, case, role, from, to, changed by. */
const RECORD_CHANGE_SQL = `INSERT INTO case_responsibility_change (id, case_id, role, from_user_id, to_user_id, changed_by_user_id) VALUES (?, ?, ?, ?, ?, ?)`;
const HISTORY_SQL = `SELECT h.id, h.role, h.from_user_id AS "fromUserId", ${userName('h.from_user_id')} AS "fromName",
     h.to_user_id AS "toUserId", ${userName('h.to_user_id')} AS "toName",
     h.changed_by_user_id AS "changedByUserId", ${userName('h.changed_by_user_id')} AS "changedByName", ${ts('h.changed_at')} AS "changedAt"
   FROM case_responsibility_change h WHERE h.case_id = ? ORDER BY h.seq`;
const DEPUTY_SQL = 'SELECT deputy_user_id AS deputy FROM support_case WHERE id = ?';

async function isCaseworker(em: EntityManager, userId: string, agencyId: string): Promise<boolean> {
  const [row] = await sql<{ ok: boolean }>(em, IS_CASEWORKER_SQL, [userId, agencyId]);
  return row!.ok;
}

/**
 * Checks a case's new deputy (null: none) and records the change in the case's history, in the
 * write's transaction; the caller sets the column. The deputy is an active social worker of the
 * owning agency and not the responsible caseworker.
 */
export async function recordDeputyChange(
  tx: EntityManager,
  facts: CaseFacts,
  deputyUserId: string | null,
  changedBy: string,
): Promise<void> {
  if (deputyUserId !== null) {
    if (!(await isCaseworker(tx, deputyUserId, facts.ownerAgencyId))) {
      throw badRequest(
        'The deputy must be an active social worker of the agency that owns the case; choose one from the list.',
        'deputy_invalid',
        '/deputyUserId',
      );
    }
    if (deputyUserId === facts.ownerUserId)
      throw badRequest(
        'The responsible caseworker cannot also be the deputy; choose someone else.',
        'deputy_is_responsible',
        '/deputyUserId',
      );
  }
  const [row] = await sql<{ deputy: string | null }>(tx, DEPUTY_SQL, [facts.id]);
  if (row!.deputy !== deputyUserId)
    await sql(tx, RECORD_CHANGE_SQL, [randomUUID(), facts.id, 'deputy', row!.deputy, deputyUserId, changedBy]);
}

/** Who holds a case: transfers between caseworkers, their history, and whom a case can go to. */
export class ResponsibilityService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly access: CaseAccessService,
  ) {}

  /**
   * Hands the case to another social worker of the owning agency, recorded in its history and
   * audited in the same transaction. The previous caseworker keeps the case's whole history in
   * view: the agency, not the person, owns it. A deputy made responsible is no longer deputy.
   */
  async transfer(em: EntityManager, actor: Actor, caseId: string, userId: string, ctx: AuditContext): Promise<CaseOutT> {
    return this.access.write(em, actor, caseId, 'case.transfer', ctx, async (tx, access) => {
      const { facts } = access;
      if (!(await isCaseworker(tx, userId, facts.ownerAgencyId))) {
        throw badRequest(
          'A case can only be transferred to an active social worker of the agency that owns it; choose one from the list.',
          'transfer_target_invalid',
          '/userId',
        );
      }
      if (userId === facts.ownerUserId) throw conflict('This caseworker is already responsible for the case.', 'already_responsible');
      const [before] = await sql<{ deputy: string | null }>(tx, DEPUTY_SQL, [caseId]);
      const deputyPromoted = before!.deputy === userId;
      await sql(tx, 'UPDATE support_case SET owner_user_id = ?, deputy_user_id = ?, updated_at = now() WHERE id = ?', [
        userId,
        deputyPromoted ? null : before!.deputy,
        caseId,
      ]);
      await sql(tx, RECORD_CHANGE_SQL, [randomUUID(), caseId, 'responsible', facts.ownerUserId, userId, actor.id]);
      if (deputyPromoted) await sql(tx, RECORD_CHANGE_SQL, [randomUUID(), caseId, 'deputy', userId, null, actor.id]);
      await this.app.audit.record(tx, ctx, this.access.event(access, 'case.transfer', 'user', userId));
      const [row] = await sql<Omit<CaseOutT, 'withheld'>>(tx, CASE_DETAIL_SQL, [caseId]);
      return { ...row!, withheld: [] };
    });
  }

  /** The case's changes of responsible and deputy, oldest first: the owning unit's alone. */
  async history(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<ChangeT[]> {
    const access = await this.access.load(em, actor, caseId, 'case.responsibility.read', ctx);
    const rows = await sql<ChangeT>(em, HISTORY_SQL, [caseId]);
    const view = await this.access.view(em, actor, access);
    const shaped = rows.map((r) => this.app.policy.shape('responsibilityChange', r, view));
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      this.access.event(access, 'case.responsibility.read', 'case', caseId),
      view,
    );
    return shaped;
  }

  /** The social workers the case can be transferred to, or made deputy: for those who may transfer it. */
  async caseworkers(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<CaseworkerT[]> {
    const access = await this.access.load(em, actor, caseId, 'case.transfer', ctx);
    const rows = await sql<CaseworkerT>(em, CASEWORKERS_SQL, [access.facts.ownerAgencyId]);
    await this.app.audit.record(em, ctx, this.access.event(access, 'case.caseworkers.read', 'case', caseId));
    return rows;
  }
}
