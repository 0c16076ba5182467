import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import { badRequest, conflict } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { CaseView, Withheld } from '../../plugins/app/disclosure.js';
import type { Actor } from '../../types.js';
import { DEEPEST_ROW, requirePageWithin } from './case-checks.js';
import { factsOf, type CaseAccess, type CaseAccessService, type FactsRow } from './case-access.js';
import type { EntriesQuery, EntryBody, EntryOut } from './cases.schemas.js';
import {
  caseFactsSql,
  ENTRIES_AFTER_EXTRA,
  ENTRIES_EXTRA,
  ENTRY_GROUPS_EXTRA,
  entriesPageSql,
  FILTERED_ENTRIES_SQL,
  INSERT_ENTRY_SQL,
  OWNER_ENTRY_SQL,
  partnerEntriesPageSql,
  uuidArray,
} from './cases.sql.js';

type EntryOutT = Static<typeof EntryOut>;

const FILTERS = ['category', 'agencyId', 'authorId', 'from', 'to', 'q'] as const;

/** `q` as a LIKE pattern that matches it literally anywhere in the text (its wildcards escaped). */
export const containsPattern = (q: string): string => `%${q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export interface PageOf<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** The journal (anteckningar): append-only entries, each of one information category. */
export class JournalService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly access: CaseAccessService,
  ) {}

  async createEntry(em: EntityManager, actor: Actor, caseId: string, body: EntryBody, ctx: AuditContext): Promise<EntryOutT> {
    const category = this.app.policy.mayAuthorCategory(actor, body.category);
    if (category.allow && !body.corrects) {
      const written = await this.ownerEntry(em, actor, caseId, body, ctx);
      if (written) return written;
    }
    return this.access.write(em, actor, caseId, 'case.entry.write', ctx, async (tx, access) => {
      if (!category.allow) {
        throw category.reason === 'unknown_category'
          ? badRequest('Unknown category: choose one of the configured information categories.', 'unknown_category', '/category')
          : badRequest('Your agency cannot write entries of this category.', 'category_not_allowed', '/category');
      }
      const toOwner = this.crossingToOwner(actor, access, body.category);
      if (body.corrects) {
        const [target] = await sql<{ author_agency_id: string }>(
          tx,
          'SELECT author_agency_id FROM journal_entry WHERE id = ? AND case_id = ?',
          [body.corrects, caseId],
        );
        if (!target) throw badRequest('The entry to correct is not in this case.', 'corrects_not_in_case', '/corrects');
        if (target.author_agency_id !== actor.agencyId)
          throw badRequest('Only the agency that wrote an entry can correct it.', 'corrects_other_agency', '/corrects');
      }
      const id = randomUUID();
      const [entry] = await sql<EntryOutT>(tx, INSERT_ENTRY_SQL, [
        id,
        caseId,
        actor.id,
        actor.agencyId,
        body.category,
        body.text,
        body.corrects ?? null,
      ]);
      const event = this.access.event(access, 'entry.create', 'journal_entry', id);
      if (toOwner) {
        // A partner's entry is a disclosure to the owning unit, made now, under the consents in force.
        await this.app.consents.recordWriteDisclosure(
          tx,
          ctx,
          access.facts,
          {
            itemType: 'entry',
            itemId: id,
            category: body.category,
            fromAgencyId: actor.agencyId,
            consentIds: toOwner.consentIds,
          },
          { ...event, consentIds: [...new Set([...access.consentIds, ...toOwner.consentIds])] },
        );
      } else {
        await this.app.audit.record(tx, ctx, event);
      }
      return entry!;
    });
  }

  /**
   * A partner writes only what may cross from its agency to the owning unit now (the owner keeps
   * it from then on); the owning unit's own entries cross nothing (null).
   */
  crossingToOwner(actor: Actor, access: CaseAccess, category: string): { consentIds: readonly string[] } | null {
    if (access.decision.reason === 'owner' || actor.agencyId === access.facts.ownerAgencyId || !access.gate) return null;
    const d = access.gate.decide({ fromAgencyId: actor.agencyId, toAgencyId: access.facts.ownerAgencyId, category });
    if (!d.allow) {
      throw conflict(
        `The consents in force do not let information of the category ${category} go from your agency to the social services unit that owns the case. Ask the case's social worker to record a consent that names it, or write it in your own agency's records.`,
        'category_not_consented',
      );
    }
    return { consentIds: d.consentIds };
  }

  /**
   * The common write in two round trips instead of five: the owning unit's new entry (not a
   * correction). The facts are read and the decision point decides as for any write; then ONE
   * statement locks the case, checks that what the decision relied on still holds (same owner,
   * not closed), writes the entry and its audit event, and commits them together. Anything else
   * — a denial, a closed or missing case, a case that changed in between — returns null and
   * the caller takes the general path, which answers and audits it.
   */
  private async ownerEntry(em: EntityManager, actor: Actor, caseId: string, body: EntryBody, ctx: AuditContext): Promise<EntryOutT | null> {
    if (em.getTransactionContext()) return null;
    const [row] = await sql<FactsRow>(em, caseFactsSql(false), [caseId]);
    if (!row || row.status === 'closed') return null;
    const facts = factsOf(caseId, row);
    const decision = this.app.policy.caseAccess(actor, 'case.entry.write', facts);
    if (!decision.allow || decision.reason !== 'owner') return null;
    const id = randomUUID();
    const audit = this.app.audit.insertStatement(
      ctx,
      [this.access.event({ facts, decision, consentIds: [] }, 'entry.create', 'journal_entry', id)],
      'EXISTS (SELECT 1 FROM e)',
    );
    const [entry] = await sql<EntryOutT>(em, OWNER_ENTRY_SQL(audit.text), [
      caseId,
      facts.ownerAgencyId,
      id,
      actor.id,
      actor.agencyId,
      body.category,
      body.text,
      ...audit.params,
    ]);
    return entry ?? null;
  }

  /** Journal entries the caller may see (decided per author agency and category by the decision point), newest first. */
  async listEntries(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    page: EntriesQuery,
    ctx: AuditContext,
  ): Promise<PageOf<EntryOutT> & { withheld: Withheld[] }> {
    const keyset = page.after !== undefined;
    if (!keyset) requirePageWithin(page, DEEPEST_ROW);
    if (FILTERS.some((f) => page[f] !== undefined)) return this.searchEntries(em, actor, caseId, page, ctx);
    const offset = keyset ? 0 : (page.page - 1) * page.pageSize;
    const access = await this.access.load<{
      entryGroups: { authorAgencyId: string; category: string; n: number }[];
      entries: EntryOutT[] | null;
    }>(
      em,
      actor,
      caseId,
      'case.read',
      ctx,
      keyset
        ? { select: ENTRIES_AFTER_EXTRA, params: [actor.agencyId, page.after, page.pageSize] }
        : { select: ENTRIES_EXTRA, params: [actor.agencyId, page.pageSize, offset] },
    );
    const groups = access.extra.entryGroups;
    const view = await this.access.view(em, actor, access);
    const allowed = view.allowedGroups(groups);
    if (!view.viewer.owner && allowed.length > 0) return this.partnerPage(em, actor, access, view, allowed, page, offset, ctx);
    // Every group allowed: the page read with the facts is the answer; else only the allowed groups'.
    const page1 =
      allowed.length === groups.length
        ? (access.extra.entries ?? [])
        : allowed.length === 0
          ? []
          : await sql<EntryOutT>(em, entriesPageSql(true, keyset), [
              caseId,
              uuidArray(allowed.map((g) => g.authorAgencyId)),
              `{${allowed.map((g) => g.category).join(',')}}`,
              ...(keyset ? [page.after, page.pageSize] : [page.pageSize, offset]),
            ]);
    const items = this.app.policy.shapeItems('entry', page1, view);
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      { ...this.access.event(access, 'entry.list', 'journal_entry', caseId), resourceId: null },
      view,
    );
    return { items, total: allowed.reduce((n, g) => n + g.n, 0), page: page.page, pageSize: page.pageSize, withheld: view.withheld };
  }

  /**
   * Another agency's page: the allowed groups' entries, the audit event and the ledger rows in one
   * statement (see partnerEntriesPageSql), each entry then shaped by the decision point. The event
   * names the consents the allowed groups rest on: what the decision to show this page relied on.
   */
  private async partnerPage(
    em: EntityManager,
    actor: Actor,
    access: CaseAccess,
    view: CaseView,
    allowed: readonly { authorAgencyId: string; category: string; n: number }[],
    page: EntriesQuery,
    offset: number,
    ctx: AuditContext,
  ): Promise<PageOf<EntryOutT> & { withheld: Withheld[] }> {
    const consentsOf = allowed.map((g) => view.item(g.authorAgencyId, g.category).consentIds);
    const relied = [...new Set([...access.consentIds, ...consentsOf.flat()])];
    const event = { ...this.access.event(access, 'entry.list', 'journal_entry', access.facts.id), resourceId: null, consentIds: relied };
    const audit = this.app.audit.insertStatement(ctx, [event]);
    const keyset = page.after !== undefined;
    const [row] = await sql<{ items: EntryOutT[] }>(em, partnerEntriesPageSql(audit.text, keyset), [
      uuidArray(allowed.map((g) => g.authorAgencyId)),
      `{${allowed.map((g) => g.category).join(',')}}`,
      `{${consentsOf.map((ids) => `"{${ids.join(',')}}"`).join(',')}}`,
      access.facts.id,
      ...(keyset ? [page.after, page.pageSize] : [page.pageSize, offset]),
      ...audit.params,
      access.facts.subjectId,
      actor.agencyId,
      actor.id,
      view.gate.at,
      ctx.requestId,
      actor.agencyId,
    ]);
    const items = this.app.policy.shapeItems('entry', row!.items, view);
    return { items, total: allowed.reduce((n, g) => n + g.n, 0), page: page.page, pageSize: page.pageSize, withheld: view.withheld };
  }

  /**
   * A filtered journal: the same gate first (only the groups the caller may see are searched, so a
   * filter can never reveal a withheld entry), then the filters. `withheld` counts the whole
   * journal's withheld entries, not the filtered ones: a count that followed `q` would tell
   * whether withheld text contains a word.
   */
  private async searchEntries(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    page: EntriesQuery,
    ctx: AuditContext,
  ): Promise<PageOf<EntryOutT> & { withheld: Withheld[] }> {
    if (page.category !== undefined && !Object.hasOwn(this.app.policy.policies.categories.categories, page.category)) {
      throw badRequest('Unknown category: choose one of the configured information categories.', 'unknown_category', '/category');
    }
    if (page.from !== undefined && page.to !== undefined && page.from > page.to)
      throw badRequest('The first day comes after the last day: swap them.', 'range_reversed', '/from');
    const access = await this.access.load<{ entryGroups: { authorAgencyId: string; category: string; n: number }[] }>(
      em,
      actor,
      caseId,
      'case.read',
      ctx,
      { select: ENTRY_GROUPS_EXTRA, params: [] },
    );
    const view = await this.access.view(em, actor, access);
    const allowed = view.allowedGroups(access.extra.entryGroups);
    const pattern = page.q === undefined ? null : containsPattern(page.q);
    const opt = (v: string | undefined): string | null => v ?? null;
    const [row] =
      allowed.length === 0
        ? [{ total: 0, entries: [] }]
        : await sql<{ total: number; entries: EntryOutT[] }>(em, FILTERED_ENTRIES_SQL, [
            caseId,
            uuidArray(allowed.map((g) => g.authorAgencyId)),
            `{${allowed.map((g) => g.category).join(',')}}`,
            opt(page.category),
            opt(page.category),
            opt(page.agencyId),
            opt(page.agencyId),
            opt(page.authorId),
            opt(page.authorId),
            opt(page.from),
            opt(page.from),
            opt(page.to),
            opt(page.to),
            pattern,
            pattern,
            opt(page.after),
            opt(page.after),
            caseId,
            page.pageSize,
            page.after !== undefined ? 0 : (page.page - 1) * page.pageSize,
          ]);
    const items = this.app.policy.shapeItems('entry', row!.entries, view);
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      { ...this.access.event(access, 'entry.list', 'journal_entry', caseId), resourceId: null },
      view,
    );
    return { items, total: row!.total, page: page.page, pageSize: page.pageSize, withheld: view.withheld };
  }
}
