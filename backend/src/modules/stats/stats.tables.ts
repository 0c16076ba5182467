import type { Static } from '@sinclair/typebox';
import { CASE_TYPES } from '../cases/cases.entities.js';
import type { FigureTable } from './stats.schemas.js';
import { suppressTable, type SuppressionOptions } from './suppression.js';

export type Table = Static<typeof FigureTable>;

export interface RowKey {
  area?: string | null;
  type?: string;
  code?: string;
}

/** A table's counts with its margins, suppressed as one: null where withheld. */
export function table(
  rows: RowKey[],
  columns: readonly string[],
  counts: number[][],
  min: number,
  options: SuppressionOptions = {},
): Table {
  const s = suppressTable(counts, columns.length, min, options);
  const shown = (n: number, withheld: boolean): number | null => (withheld ? null : n);
  const sum = (ns: number[]): number => ns.reduce((a, b) => a + b, 0);
  return {
    columns: [...columns],
    rows: rows.map((key, i) => ({
      ...key,
      cells: counts[i]!.map((n, j) => shown(n, s.cells[i]![j]!)),
      total: shown(sum(counts[i]!), s.rowTotals[i]!),
    })),
    columnTotals: columns.map((_, j) => shown(sum(counts.map((r) => r[j]!)), s.columnTotals[j]!)),
    total: shown(sum(counts.map(sum)), s.grandTotal),
  };
}

/** Counts by row key and column, from the rows SQL answered (absent combinations are zero). */
export function matrix<T extends { n: number }>(
  rows: RowKey[],
  columns: readonly string[],
  data: T[],
  rowOf: (d: T) => RowKey,
  columnOf: (d: T) => string,
): number[][] {
  const id = (k: RowKey): string => JSON.stringify([k.area, k.type, k.code]);
  const index = new Map(rows.map((k, i) => [id(k), i]));
  const counts = rows.map(() => columns.map(() => 0));
  for (const d of data) {
    const i = index.get(id(rowOf(d)));
    const j = columns.indexOf(columnOf(d));
    if (i !== undefined && j >= 0) counts[i]![j]! += d.n;
  }
  return counts;
}

/**
 * Cases not closed, per area (rows, null last: protected identity) and type, suppressed with its
 * margins. At a period's end on or after today these are the cases `GET /stats/groups` splits by
 * status: then the two are suppressed together (`groups.ts`), and `withhold` carries what the
 * status cells need withheld here (grid entries, row totals in the last column).
 */
export function activeCasesTable(
  areas: readonly (string | null)[],
  active: readonly { area: string | null; type: string; n: number }[],
  min: number,
  withhold: readonly (readonly [number, number])[] = [],
): Table {
  const rows = areas.map((area) => ({ area }));
  const types = [...CASE_TYPES];
  return table(
    rows,
    types,
    matrix(
      rows,
      types,
      [...active],
      (d) => ({ area: d.area }),
      (d) => d.type,
    ),
    min,
    { withhold },
  );
}
