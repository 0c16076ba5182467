import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import { CASE_TYPES } from '../cases/cases.entities.js';
import { parsePeriod, swedishToday, type Period } from './stats.period.js';
import type { OverviewOut } from './stats.schemas.js';
import { CASE_FIGURES_SQL, CONCERN_FIGURES_SQL, GROUP_CELLS_SQL, type CaseFigures, type ConcernFigures } from './stats.sql.js';
import { areasOf, groupFigures, type GroupRow } from './groups.js';
import { activeCasesTable, matrix, table } from './stats.tables.js';

export type Overview = Static<typeof OverviewOut>;

/** Triage columns of the concern table; `not_decided` is a concern still in the intake. */
export const TRIAGE = ['not_decided', 'link', 'open_case', 'no_action'] as const;

const oneDecimal = (n: number | null): number | null => (n === null ? null : Math.round(n * 10) / 10);

/**
 * Group-level figures for the coordinator and the steering group: counts of cases and concerns
 * per area, type and month, outcome codes and median lead times. No identities and no ids; every
 * table is published with its totals and suppressed as a whole (`suppression.ts`), and figures
 * that appear in two places are withheld in both or neither.
 */
export class StatsService {
  constructor(private readonly app: FastifyInstance) {}

  async overview(em: EntityManager, query: { from?: string; to?: string }, ctx: AuditContext, action: string): Promise<Overview> {
    const today = swedishToday();
    const period = parsePeriod(query, today);
    const params = [period.from, period.to];
    // Ending today or later, the active cases are the ones GET /stats/groups shows now: one pass for both.
    const now = period.to >= today;
    const [[cases], [concerns], groups] = await Promise.all([
      sql<{ figures: CaseFigures }>(em, CASE_FIGURES_SQL, params),
      sql<{ figures: ConcernFigures }>(em, CONCERN_FIGURES_SQL, params),
      now ? sql<GroupRow>(em, GROUP_CELLS_SQL) : Promise.resolve(null),
    ]);
    const overview = this.shape(period, cases!.figures, concerns!.figures, groups);
    await this.app.audit.record(em, ctx, { action, resourceType: 'group_stats', outcome: 'allowed', reason: 'role' });
    return overview;
  }

  private shape(period: Period, cases: CaseFigures, concerns: ConcernFigures, groups: GroupRow[] | null): Overview {
    const policies = this.app.policy.policies;
    const min = policies.areas.statistics.minCellSize;
    const seen = [...cases.opened, ...cases.closed, ...cases.active, ...concerns.triage, ...(groups ?? [])].map((r) => r.area);
    const areas = areasOf(policies.areas.areas, seen);
    const types = [...CASE_TYPES];
    const areaTypes = areas.flatMap((area) => types.map((type) => ({ area, type })));
    const months = period.months;

    const outcomeCodes = Object.keys(policies.caseOutcomes.outcomes);
    const defaultOutcome = policies.caseOutcomes.default;
    const outcomeRows = [
      ...outcomeCodes,
      ...new Set(cases.outcomes.map((o) => o.code ?? defaultOutcome).filter((c) => !outcomeCodes.includes(c))),
    ].map((code) => ({ code }));
    const closedCounts = matrix(
      areaTypes,
      months,
      cases.closed,
      (d) => ({ area: d.area, type: d.type }),
      (d) => d.month,
    );
    const outcomeCounts = matrix(
      outcomeRows,
      types,
      cases.outcomes,
      (d) => ({ code: d.code ?? defaultOutcome }),
      (d) => d.type,
    );
    // Cases closed in the period are both tables' total: withheld in one, withheld in both.
    let closedCases = table(areaTypes, months, closedCounts, min);
    let outcomes = table(outcomeRows, types, outcomeCounts, min);
    if (closedCases.total === null || outcomes.total === null) {
      closedCases = table(areaTypes, months, closedCounts, min, { withholdGrandTotal: true });
      outcomes = table(outcomeRows, types, outcomeCounts, min, { withholdGrandTotal: true });
    }

    const areaRows = areas.map((area) => ({ area }));
    const concernTable = table(
      areaRows,
      TRIAGE,
      matrix(
        areaRows,
        TRIAGE,
        concerns.triage,
        (d) => ({ area: d.area }),
        (d) => d.decision ?? 'not_decided',
      ),
      min,
    );
    // The concerns that became cases are the triage table's `open_case` total: one figure, one fate.
    const openedFromConcerns = concernTable.columnTotals[TRIAGE.indexOf('open_case')]!;
    const firstPlan = cases.firstPlan.n > 0 && cases.firstPlan.n < min ? null : cases.firstPlan.n;

    return {
      from: period.from,
      to: period.to,
      minCellSize: min,
      months: [...months],
      newCases: table(
        areaTypes,
        months,
        matrix(
          areaTypes,
          months,
          cases.opened,
          (d) => ({ area: d.area, type: d.type }),
          (d) => d.month,
        ),
        min,
      ),
      closedCases,
      activeCases: groups ? groupFigures(groups, areas, min).active : activeCasesTable(areas, cases.active, min),
      outcomes,
      concerns: concernTable,
      medians: {
        concernToCase: { days: openedFromConcerns ? oneDecimal(concerns.toCaseDays) : null, count: openedFromConcerns },
        caseToFirstPlan: { days: firstPlan ? oneDecimal(cases.firstPlan.days) : null, count: firstPlan },
      },
      outcomeLabels: policies.caseOutcomes.outcomes,
    };
  }
}
