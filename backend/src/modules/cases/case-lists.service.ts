import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import { parsePersonalIdentityNumber } from '../../lib/personnummer.js';
import { badRequest } from '../../lib/problem.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { stockholmDate } from '../consents/calendar.js';
import { configuredArea, DEEPEST_ROW, requirePageWithin } from './case-checks.js';
import { parseCaseNumber } from './case-number.js';
import type { CaseConfig } from './cases.policy.js';
import type { CaseFilter, CaseListItem } from './cases.schemas.js';
import { caseListSql, CHOSEN_PAGE_SQL, uuidArray, type CaseListFilter } from './cases.sql.js';
import type { PageOf } from './journal.service.js';

type ListItemT = Static<typeof CaseListItem>;
export interface CasePageOf<T> extends PageOf<T> {
  totalIsEstimate: boolean;
}
/** A row of the list statement: the list item and the owning agency (for the gate, never sent). */
type ListRow = ListItemT & { ownerAgencyId: string };
const listItem = ({ ownerAgencyId: _owner, ...item }: ListRow): ListItemT => item;
/** Candidate cases a participant's list gates per round trip. */
const PARTICIPANT_BATCH = 200;

/** Lists and searches of cases: the owning agency's, or the cases a partner may see. */
export class CaseListsService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly config: CaseConfig,
  ) {}

  /**
   * The cases the caller may list, filtered and paginated: the caller's agency's own cases, or —
   * for another agency (partners) — the cases it takes part in while the consent gate lets
   * identity cross from the owning agency to it. Protected subjects' cases never match an area
   * or agency filter and show no area: their whereabouts cannot be read off a list. Every listed
   * case is audited (who saw which person's name), never the query itself.
   */
  async listCases(
    em: EntityManager,
    actor: Actor,
    filter: CaseFilter,
    action: 'case.list' | 'case.search',
    ctx: AuditContext,
  ): Promise<CasePageOf<ListItemT>> {
    const scope = this.app.policy.caseAccess(actor, 'case.read', { ownerAgencyId: actor.agencyId });
    const f = this.listFilter(actor, filter);
    if (!scope.allow && scope.reason === 'not_owner') return this.participantList(em, actor, f, filter, action, ctx);
    if (!scope.allow) {
      await this.app.audit.record(em, ctx, { action, resourceType: 'case', outcome: 'allowed', reason: 'no_owned_cases' });
      return { items: [], total: 0, page: filter.page, pageSize: filter.pageSize, totalIsEstimate: false };
    }
    const stmt = caseListSql({ ownerAgencyId: actor.agencyId }, f);
    requirePageWithin(filter, stmt.capped ? stmt.cap : DEEPEST_ROW);
    const audit = this.app.audit.perRowStatement(ctx, { action, resourceType: 'case', outcome: 'allowed' }, 'p', filter.pageSize);
    const offset = (filter.page - 1) * filter.pageSize;
    let count: number;
    let rows: ListRow[];
    if (stmt.planPerCall) {
      const c = stmt.choose(filter.pageSize, offset);
      const [head] = await sql<{ total: number; ids: string[]; subjects: string[] }>(em, c.text, c.params, { planPerCall: true });
      count = head!.total;
      rows = (
        await sql<{ rows: ListRow[] }>(em, CHOSEN_PAGE_SQL(audit.text), [
          uuidArray(head!.ids),
          uuidArray(head!.subjects),
          actor.agencyId,
          ...audit.params,
        ])
      )[0]!.rows;
    } else {
      const q = stmt.page(filter.pageSize, offset, audit);
      const [page] = await sql<{ total: number; rows: ListRow[] }>(em, q.text, q.params);
      ({ total: count, rows } = page!); // one row, whatever the page holds
    }
    const over = stmt.capped && count > stmt.cap;
    return {
      items: rows.map(listItem),
      total: over ? stmt.cap : count,
      page: filter.page,
      pageSize: filter.pageSize,
      totalIsEstimate: over,
    };
  }

  /** The list filter from a request: `q` as a case number, an exact personal identity number or name parts; the area as configured. */
  private listFilter(actor: Actor, filter: CaseFilter): CaseListFilter {
    const q = filter.q?.trim();
    const caseNumber = q ? (parseCaseNumber(q) ?? undefined) : undefined;
    // A case number is the whole search: neither a name nor a personal identity number.
    const text = caseNumber ? undefined : q;
    let pin: string | undefined;
    let nameParts: string[] | undefined;
    if (text && /^[0-9+\- ]+$/.test(text)) {
      const parsed = parsePersonalIdentityNumber(text);
      if (!parsed)
        throw badRequest(
          'The search looks like a personal identity number but is not a valid one; check the digits.',
          'invalid_personal_identity_number',
          '/q',
        );
      pin = parsed.normalized;
    } else if (text) {
      nameParts = text.split(/\s+/).slice(0, 4);
    }
    return {
      status: filter.status,
      type: filter.type,
      agencyId: filter.agencyId,
      pin,
      nameParts,
      caseNumber,
      ...(filter.owner === 'me' ? { ownerUserId: actor.id } : {}),
      ...(filter.area !== undefined ? { area: configuredArea(this.config, filter.area, '/area') } : {}),
    };
  }

  /**
   * Another agency's list: candidates from SQL (participant, with a consent that may open the
   * case), in batches; each batch's gates come from one query, and the gate decides — exactly as
   * it decides a read of the case. Listing discloses the subject's identity: each listed case is
   * recorded in the disclosure ledger with the consents relied on, with the audit events.
   */
  private async participantList(
    em: EntityManager,
    actor: Actor,
    f: CaseListFilter,
    filter: CaseFilter,
    action: string,
    ctx: AuditContext,
  ): Promise<CasePageOf<ListItemT>> {
    const at = new Date();
    const stmt = caseListSql({ participantAgencyId: actor.agencyId, at, today: stockholmDate(at) }, f);
    requirePageWithin(filter, stmt.cap);
    const offset = (filter.page - 1) * filter.pageSize;
    const wanted = offset + filter.pageSize;
    const open: { row: ListRow; consentIds: readonly string[] }[] = [];
    let exhausted = false;
    for (let from = 0; !exhausted && open.length < Math.max(wanted, stmt.cap); from += PARTICIPANT_BATCH) {
      const rows = (
        await sql<{ j: ListRow }>(em, stmt.items, [...stmt.params, PARTICIPANT_BATCH, from], { planPerCall: stmt.planPerCall })
      ).map((r) => r.j);
      exhausted = rows.length < PARTICIPANT_BATCH;
      const gates = await this.app.consents.gatesFor(
        em,
        rows.map((r) => ({ id: r.id, subjectId: r.subject.id })),
        at,
      );
      for (const row of rows) {
        const gate = gates.get(row.id);
        if (!gate) continue;
        const facts = { ownerAgencyId: row.ownerAgencyId, participantAgencyIds: [actor.agencyId] };
        const d = this.app.policy.caseAccessThroughConsent(actor, 'case.read', facts, gate);
        if (!d.allow) continue;
        const view = this.app.policy.view(gate, {
          caseId: row.id,
          subjectId: row.subject.id,
          ownerAgencyId: row.ownerAgencyId,
          agencyId: actor.agencyId,
          owner: false,
          protectedSubject: row.protectedIdentity,
        });
        open.push({
          row: { ...this.app.policy.shape('caseListItem', listItem(row), view), ownerAgencyId: row.ownerAgencyId },
          consentIds: d.consentIds,
        });
      }
    }
    const shown = open.slice(offset, wanted);
    const events: AuditEvent[] =
      shown.length > 0
        ? shown.map(({ row, consentIds }) => ({
            action,
            resourceType: 'case',
            resourceId: row.id,
            caseId: row.id,
            subjectId: row.subject.id,
            outcome: 'allowed' as const,
            consentIds,
          }))
        : [{ action, resourceType: 'case', outcome: 'allowed' }];
    await this.app.consents.recordListRead(
      em,
      actor,
      ctx,
      events,
      at,
      shown.map(({ row, consentIds }) => ({
        itemType: 'case' as const,
        itemId: row.id,
        category: 'identity',
        fromAgencyId: row.ownerAgencyId,
        consentIds,
        caseId: row.id,
        subjectId: row.subject.id,
      })),
    );
    return {
      items: shown.map(({ row }) => listItem(row)),
      total: open.length,
      page: filter.page,
      pageSize: filter.pageSize,
      totalIsEstimate: !exhausted,
    };
  }
}
