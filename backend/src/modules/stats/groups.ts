import { CASE_TYPES, type CaseStatus, type CaseType } from '../cases/cases.entities.js';
import { marginalTotals, suppressSmallCells, type Total } from './cell-suppression.js';
import { activeCasesTable, type Table } from './stats.tables.js';

export interface GroupRow {
  readonly area: string | null;
  readonly type: CaseType;
  readonly status: CaseStatus;
  readonly n: number;
}

export interface GroupCell {
  area: string | null;
  type: CaseType;
  status: CaseStatus;
  count: number | null;
  suppressed: boolean;
}

/** Every area a table lists: the policy's, any other seen in the data (sorted), then null (protected identity). */
export function areasOf(policyAreas: readonly string[], seen: readonly (string | null)[]): (string | null)[] {
  const extra = [...new Set(seen.filter((a): a is string => a !== null && !policyAreas.includes(a)))].sort();
  return [...policyAreas, ...extra, null];
}

/**
 * The figures of `GET /stats/groups` (cases now, per area × type × status, zeros left out) and the
 * active-case table `GET /stats/overview` publishes for a period ending today: one population, one
 * suppression. The overview's table is suppressed with its margins; then the status cells, with
 * each figure it shows as a total beside them and each it withholds as a sum that must stay
 * underivable. A figure shown there that the status cells need withheld is withheld there too,
 * and the two are suppressed again, until neither asks more of the other: read together, they
 * give away nothing either withholds. The sums over areas count as shown (an agency's own figures
 * show them).
 */
export function groupFigures(
  rows: readonly GroupRow[],
  areas: readonly (string | null)[],
  min: number,
): { cells: GroupCell[]; active: Table } {
  const positive = rows.filter((r) => r.n > 0);
  const withheldThere: [number, number][] = [];
  for (;;) {
    const active = activeCasesTable(
      areas,
      positive.filter((r) => r.status !== 'closed'),
      min,
      withheldThere,
    );
    const R = areas.length;
    const C = CASE_TYPES.length;
    // The overview's table as figures: the grid entry, which (area, type) of not-closed cases it sums, its value there.
    const figures: { at: [number, number]; area?: string | null; type?: CaseType; shown: number | null }[] = [
      ...active.rows.flatMap((row, i) => [
        ...CASE_TYPES.map((type, j) => ({ at: [i, j] as [number, number], area: areas[i], type, shown: row.cells[j]! })),
        { at: [i, C] as [number, number], area: areas[i], shown: row.total },
      ]),
      ...CASE_TYPES.map((type, j) => ({ at: [R, j] as [number, number], type, shown: active.columnTotals[j]! })),
      { at: [R, C], shown: active.total },
    ];
    const covers = (f: { area?: string | null; type?: CaseType }, r: GroupRow): boolean =>
      r.status !== 'closed' && (f.area === undefined || r.area === f.area) && (f.type === undefined || r.type === f.type);
    // A zero the overview withholds would show here as an absent cell: list one of its cells as withheld.
    const zeros: GroupRow[] = figures
      .filter((f) => f.shown === null && !positive.some((r) => covers(f, r)))
      .map((f) => ({ area: f.area === undefined ? areas[0]! : f.area, type: f.type ?? CASE_TYPES[0], status: 'open' as const, n: 0 }));
    const listed = [...positive, ...zeros.filter((z, k) => zeros.findIndex((y) => y.area === z.area && y.type === z.type) === k)];

    const cells = listed.map((r) => ({ key: [r.area, r.type, r.status], count: r.n }));
    const totals: Total[] = marginalTotals(
      cells.map((c) => c.key),
      [0],
    );
    const beside = new Map<number, [number, number]>();
    const sums: number[][] = [];
    for (const f of figures) {
      const members = listed.flatMap((r, i) => (covers(f, r) ? [i] : []));
      if (f.shown === null) sums.push(members);
      else {
        beside.set(totals.length, f.at);
        totals.push({ cells: members, fixed: true });
      }
    }
    const withhold = listed.flatMap((r, i) => (r.n === 0 ? [i] : []));

    const { reasons, hiddenTotals } = suppressSmallCells(cells, min, totals, { sums, beside: [...beside.keys()], withhold });
    const more = hiddenTotals.flatMap((ti) => {
      const at = beside.get(ti);
      return at ? [at] : [];
    });
    if (more.length > 0) {
      withheldThere.push(...more);
      continue;
    }
    return {
      cells: listed.map((r, i) => ({
        area: r.area,
        type: r.type,
        status: r.status,
        count: reasons[i] ? null : r.n,
        suppressed: reasons[i] !== null,
      })),
      active,
    };
  }
}
