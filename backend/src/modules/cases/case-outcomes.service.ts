import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import { badRequest, conflict } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { stockholmDate } from '../consents/calendar.js';
import type { CaseAccessService } from './case-access.js';
import type { CaseConfig } from './cases.policy.js';
import type { CaseOut, CaseOutcomeEventOut, ClosedCaseOut, CloseCaseBody, ConsentInForceOut } from './cases.schemas.js';
import { CASE_DETAIL_SQL, CONSENTS_IN_FORCE_SQL, OUTCOME_HISTORY_SQL } from './cases.sql.js';

type CaseOutT = Static<typeof CaseOut>;
type OutcomeEventT = Static<typeof CaseOutcomeEventOut>;

const INSERT_OUTCOME_EVENT_SQL = `INSERT INTO case_outcome_event (id, case_id, kind, outcome_code, outcome_text, reason, user_id) VALUES (?, ?, ?, ?, ?, ?, ?)`;

/** Closing a case with an outcome (policies/case-outcomes.yaml), reopening it with a reason, and the history of both. */
export class CaseOutcomesService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly access: CaseAccessService,
    private readonly config: CaseConfig,
  ) {}

  private async detail(tx: EntityManager, caseId: string): Promise<CaseOutT> {
    const [row] = await sql<Omit<CaseOutT, 'withheld'>>(tx, CASE_DETAIL_SQL, [caseId]);
    return { ...row!, withheld: [] };
  }

  /**
   * Closes the case with an outcome code (the configured default when none is given) and text,
   * kept in the outcome history; answers the case and the consents still in force, which closing
   * does not end by itself: the caseworker decides on each.
   */
  async close(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    body: CloseCaseBody,
    ctx: AuditContext,
  ): Promise<Static<typeof ClosedCaseOut>> {
    const code = body.outcomeCode ?? this.config.outcomes.default;
    if (!Object.hasOwn(this.config.outcomes.outcomes, code)) {
      throw badRequest(
        'Unknown outcome code: choose one of the configured outcomes (GET /api/cases/options).',
        'unknown_outcome',
        '/outcomeCode',
      );
    }
    return this.access.write(em, actor, caseId, 'case.close', ctx, async (tx, access) => {
      const text = body.outcome.trim();
      await sql(
        tx,
        "UPDATE support_case SET status = 'closed', outcome = ?, outcome_code = ?, closed_at = now(), updated_at = now() WHERE id = ?",
        [text, code, caseId],
      );
      await sql(tx, INSERT_OUTCOME_EVENT_SQL, [randomUUID(), caseId, 'closed', code, text, null, actor.id]);
      await this.app.audit.record(tx, ctx, this.access.event(access, 'case.close', 'case', caseId));
      const now = new Date();
      const today = stockholmDate(now);
      const consentsInForce = await sql<Static<typeof ConsentInForceOut>>(tx, CONSENTS_IN_FORCE_SQL, [caseId, today, today, now]);
      return { ...(await this.detail(tx, caseId)), consentsInForce };
    });
  }

  /** Reopens a closed case (it becomes active); the reason is kept in the outcome history. */
  async reopen(em: EntityManager, actor: Actor, caseId: string, reason: string, ctx: AuditContext): Promise<CaseOutT> {
    return this.access.write(
      em,
      actor,
      caseId,
      'case.close',
      ctx,
      async (tx, access) => {
        if (access.facts.status !== 'closed') throw conflict('Only a closed case can be reopened.', 'illegal_transition');
        await sql(
          tx,
          "UPDATE support_case SET status = 'active', outcome = NULL, outcome_code = NULL, closed_at = NULL, updated_at = now() WHERE id = ?",
          [caseId],
        );
        await sql(tx, INSERT_OUTCOME_EVENT_SQL, [randomUUID(), caseId, 'reopened', null, null, reason.trim(), actor.id]);
        await this.app.audit.record(tx, ctx, this.access.event(access, 'case.reopen', 'case', caseId));
        return this.detail(tx, caseId);
      },
      { allowClosed: true },
    );
  }

  /** The case's closes and reopens, oldest first: the owning unit's alone. */
  async history(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<OutcomeEventT[]> {
    const access = await this.access.load(em, actor, caseId, 'case.outcome.read', ctx);
    const rows = await sql<OutcomeEventT>(em, OUTCOME_HISTORY_SQL, [caseId]);
    const view = await this.access.view(em, actor, access);
    const shaped = rows.map((r) => this.app.policy.shape('caseOutcomeEvent', r, view));
    await this.app.consents.recordRead(em, actor, ctx, access.facts, this.access.event(access, 'case.outcome.read', 'case', caseId), view);
    return shaped;
  }
}
