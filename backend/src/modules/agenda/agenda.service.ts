import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { CaseView, ExchangedItem } from '../../plugins/app/disclosure.js';
import { CONSENT_REQUIRED } from '../../plugins/app/policy.js';
import type { Actor } from '../../types.js';
import { addDays, stockholmDate } from '../consents/calendar.js';
import type { GateEvaluator } from '../consents/gate.js';
import { AUDITED_IN_STATEMENT, AUDITED_SOURCE, ownerAgendaSql, PARTNER_AGENDA_SQL, type AgendaCaseRow } from './agenda.sql.js';
import type { AgendaOutT } from './agenda.schemas.js';

/** Plan actions show this many days before they are due. */
export const PLAN_LEAD_DAYS = 7;
/** Meetings of the coming two weeks. */
export const MEETING_DAYS = 14;
const DAY_MS = 86_400_000;

interface Shown {
  row: AgendaCaseRow;
  view: CaseView;
  consentIds: readonly string[];
}

/**
 * The start page: what waits for the caller today. One statement fetches the candidates; then
 * the decision point decides every case (as a read of it would: the owner, or a participant
 * through the consent gate) and every item in it (`shapeItems`, `allowedGroups`). Every case
 * shown is audited, with what crossed into the disclosure ledger, before the answer leaves — for
 * the owning unit by the statement itself (see ownerAgendaSql).
 */
export class AgendaService {
  constructor(private readonly app: FastifyInstance) {}

  /**
   * `digest`: the same decisions for the daily e-mail, which tells only how many items wait —
   * audited as `agenda.digest`, and no item counts as disclosed (none leaves).
   */
  async agenda(em: EntityManager, actor: Actor, ctx: AuditContext, purpose: 'page' | 'digest' = 'page'): Promise<AgendaOutT> {
    const at = new Date();
    const today = stockholmDate(at);
    const action = purpose === 'page' ? 'agenda.read' : 'agenda.digest';
    // The decision for every case of the caller's own agency, the only ones the owner's statement reads.
    const ownerDecision = this.app.policy.caseAccess(actor, 'case.read', { ownerAgencyId: actor.agencyId });
    const owner = ownerDecision.allow;
    const windows = [actor.agencyId, addDays(today, PLAN_LEAD_DAYS), today, addDays(today, MEETING_DAYS)];
    let head: { since: string | null; withdrawn: number; cases: AgendaCaseRow[] } | undefined;
    if (owner) {
      const audit = this.app.audit.perRowStatement(
        ctx,
        { action, resourceType: 'case', outcome: 'allowed' },
        AUDITED_SOURCE,
        AUDITED_IN_STATEMENT,
      );
      [head] = await sql<NonNullable<typeof head>>(em, ownerAgendaSql(audit.text), [
        actor.agencyId,
        actor.id,
        actor.id,
        actor.agencyId,
        actor.id,
        actor.id,
        actor.sessionId,
        ...windows,
        today,
        today,
        addDays(today, this.app.policy.policies.consent.reminderLeadDays),
        actor.agencyId,
        ...audit.params,
      ]);
    } else {
      [head] = await sql<NonNullable<typeof head>>(em, PARTNER_AGENDA_SQL(), [
        actor.agencyId,
        actor.id,
        actor.id,
        actor.sessionId,
        ...windows,
        actor.agencyId,
        actor.agencyId,
      ]);
    }
    const { since, withdrawn, cases } = head!;

    const gates = owner
      ? new Map<string, GateEvaluator>()
      : await this.app.consents.gatesFor(
          em,
          cases.map((c) => ({ id: c.id, subjectId: c.subjectId })),
          at,
        );
    // The owner's views need no consents: one empty gate for all of them.
    const ownerGate = owner ? this.app.policy.consentGate({ subjectBirthDate: null, guardians: [], consents: [], at }) : undefined;
    const out: AgendaOutT = {
      since,
      planActions: [],
      meetings: [],
      consentsEnding: [],
      unread: [],
      closedCases: [],
      consentsWithdrawn: withdrawn,
    };
    const shown: Shown[] = [];
    for (const row of cases) {
      const opened = owner ? this.ownerView(actor, row, ownerDecision, ownerGate!) : this.open(actor, row, gates.get(row.id), at);
      if (!opened) continue;
      const { view } = opened;
      const plan = this.app.policy.shapeItems('planItem', row.planItems, view);
      const meetings = this.app.policy.shapeItems('meeting', row.meetings, view);
      const consents = view.viewer.owner ? row.consents : [];
      const unread = view.allowedGroups(row.newEntries).reduce((n, g) => n + g.n, 0);
      const closed = row.closedSince === true && row.closedAt !== null;
      if (plan.length + meetings.length + consents.length === 0 && unread === 0 && !closed) continue;
      const listed = this.app.policy.shape('caseListItem', { id: row.id, caseNumber: row.caseNumber, subject: row.subject }, view);
      const ref = {
        caseId: row.id,
        caseNumber: listed.caseNumber ?? null,
        subjectName: listed.subject ? `${listed.subject.firstName} ${listed.subject.lastName}` : null,
      };
      for (const p of plan) {
        if (!p.dueDate) continue;
        out.planActions.push({ ...ref, section: 'plan', id: p.id, action: p.action, dueDate: p.dueDate, overdue: p.dueDate < today });
      }
      for (const m of meetings) out.meetings.push({ ...ref, section: 'meetings', id: m.id, date: m.date, startsAt: m.startsAt ?? null });
      for (const c of consents)
        out.consentsEnding.push({
          ...ref,
          section: 'consents',
          id: c.id,
          validTo: c.validTo,
          daysLeft: Math.round((Date.parse(c.validTo) - Date.parse(today)) / DAY_MS),
        });
      if (unread > 0) out.unread.push({ ...ref, section: 'journal', count: unread });
      if (closed) out.closedCases.push({ ...ref, section: 'overview', closedAt: row.closedAt! });
      shown.push({ row, view, consentIds: opened.consentIds });
    }
    out.planActions.sort((a, b) => a.dueDate.localeCompare(b.dueDate));
    out.meetings.sort((a, b) => a.date.localeCompare(b.date));
    out.consentsEnding.sort((a, b) => a.validTo.localeCompare(b.validTo));
    await (owner ? this.recordBeyondStatement(em, ctx, shown, action) : this.record(em, actor, ctx, shown, at, action));
    return out;
  }

  /**
   * The owner's view of a case of its own agency (the statement reads no other): the decision
   * made once for them all, asked again only for a case that is not the agency's.
   */
  private ownerView(
    actor: Actor,
    row: AgendaCaseRow,
    decision: { allow: boolean; reason: string },
    gate: GateEvaluator,
  ): { view: CaseView; consentIds: readonly string[] } | null {
    const d =
      row.ownerAgencyId === actor.agencyId
        ? decision
        : this.app.policy.caseAccess(actor, 'case.read', { ownerAgencyId: row.ownerAgencyId });
    if (d.reason !== 'owner') return null;
    const view = this.app.policy.view(gate, {
      caseId: row.id,
      subjectId: row.subjectId,
      ownerAgencyId: row.ownerAgencyId,
      agencyId: actor.agencyId,
      owner: true,
      protectedSubject: row.protected,
    });
    return { view, consentIds: [] };
  }

  /** The decision point's answer for one case, as for a read of it: the case's view, or null (not shown). */
  private open(
    actor: Actor,
    row: AgendaCaseRow,
    gate: GateEvaluator | undefined,
    at: Date,
  ): { view: CaseView; consentIds: readonly string[] } | null {
    const facts = { ownerAgencyId: row.ownerAgencyId, participantAgencyIds: [actor.agencyId] };
    let decision = this.app.policy.caseAccess(actor, 'case.read', facts);
    let consentIds: readonly string[] = [];
    if (decision.reason === CONSENT_REQUIRED) {
      if (!gate) return null;
      ({ consentIds, ...decision } = this.app.policy.caseAccessThroughConsent(actor, 'case.read', facts, gate));
    }
    if (!decision.allow) return null;
    const owner = decision.reason === 'owner';
    const viewGate = gate ?? this.app.policy.consentGate({ subjectBirthDate: null, guardians: [], consents: [], at });
    const view = this.app.policy.view(viewGate, {
      caseId: row.id,
      subjectId: row.subjectId,
      ownerAgencyId: row.ownerAgencyId,
      agencyId: actor.agencyId,
      owner,
      protectedSubject: row.protected,
    });
    return { view, consentIds };
  }

  /** One audit event per case shown and the ledger rows of what crossed, in one statement, before the answer leaves. */
  private async record(
    em: EntityManager,
    actor: Actor,
    ctx: AuditContext,
    shown: readonly Shown[],
    at: Date,
    action: 'agenda.read' | 'agenda.digest',
  ): Promise<void> {
    const events: AuditEvent[] =
      shown.length > 0
        ? shown.map(({ row, view, consentIds }) => ({
            action,
            resourceType: 'case',
            resourceId: row.id,
            caseId: row.id,
            subjectId: row.subjectId,
            outcome: 'allowed' as const,
            consentIds: [...new Set([...consentIds, ...view.consentIds])],
          }))
        : [{ action, resourceType: 'agenda', outcome: 'allowed' }];
    if (action === 'agenda.digest') return this.app.audit.record(em, ctx, events);
    const items: (ExchangedItem & { caseId: string; subjectId: string })[] = shown.flatMap(({ row, view }) =>
      view.disclosures.map((d) => ({ ...d, caseId: row.id, subjectId: row.subjectId })),
    );
    await this.app.consents.recordListRead(em, actor, ctx, events, at, items);
  }

  /**
   * The owner's events the statement did not write (cases after the first AUDITED_IN_STATEMENT),
   * before the answer leaves. The owner sees each case whole: nothing crosses, no ledger rows.
   */
  private async recordBeyondStatement(em: EntityManager, ctx: AuditContext, shown: readonly Shown[], action: string): Promise<void> {
    const events: AuditEvent[] = shown
      .filter(({ row }) => row.n > AUDITED_IN_STATEMENT)
      .map(({ row }) => ({
        action,
        resourceType: 'case',
        resourceId: row.id,
        caseId: row.id,
        subjectId: row.subjectId,
        outcome: 'allowed' as const,
      }));
    await this.app.audit.record(em, ctx, events);
  }
}
