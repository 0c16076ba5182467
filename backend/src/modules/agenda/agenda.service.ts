import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { CaseView, ExchangedItem } from '../../plugins/app/disclosure.js';
import { CONSENT_REQUIRED } from '../../plugins/app/policy.js';
import type { Actor } from '../../types.js';
import { addDays, stockholmDate } from '../consents/calendar.js';
import type { GateEvaluator } from '../consents/gate.js';
import { agendaSql, type AgendaCaseRow } from './agenda.sql.js';
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
 * shown is audited, with what crossed into the disclosure ledger, before the answer leaves.
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
    const owner = this.app.policy.caseAccess(actor, 'case.read', { ownerAgencyId: actor.agencyId }).allow;
    const windows = [actor.agencyId, addDays(today, PLAN_LEAD_DAYS), today, addDays(today, MEETING_DAYS)];
    const params = owner
      ? [
          actor.agencyId,
          actor.id,
          actor.id,
          actor.id,
          actor.id,
          actor.sessionId,
          ...windows,
          today,
          today,
          addDays(today, this.app.policy.policies.consent.reminderLeadDays),
          actor.agencyId,
        ]
      : [actor.agencyId, actor.id, actor.id, actor.sessionId, ...windows, actor.agencyId, actor.agencyId];
    const [head] = await sql<{ since: string | null; withdrawn: number; cases: AgendaCaseRow[] }>(em, agendaSql(owner), params);
    const { since, withdrawn, cases } = head!;

    const gates = owner
      ? new Map<string, GateEvaluator>()
      : await this.app.consents.gatesFor(
          em,
          cases.map((c) => ({ id: c.id, subjectId: c.subjectId })),
          at,
        );
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
      const opened = this.open(actor, row, gates.get(row.id), at);
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
    await this.record(em, actor, ctx, shown, at, purpose);
    return out;
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
    purpose: 'page' | 'digest',
  ): Promise<void> {
    const action = purpose === 'page' ? 'agenda.read' : 'agenda.digest';
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
    if (purpose === 'digest') return this.app.audit.record(em, ctx, events);
    const items: (ExchangedItem & { caseId: string; subjectId: string })[] = shown.flatMap(({ row, view }) =>
      view.disclosures.map((d) => ({ ...d, caseId: row.id, subjectId: row.subjectId })),
    );
    await this.app.consents.recordListRead(em, actor, ctx, events, at, items);
  }
}
