import type { GroupCell, GroupRow } from '../../src/modules/stats/groups.js';
import type { Table } from '../../src/modules/stats/stats.tables.js';
import { inSpan } from './derivable.js';

/** One published figure of the overview's table: which status cells it sums, and what it shows. */
interface Figure {
  where: (r: GroupRow) => boolean;
  shown: number | null;
}

function overviewFigures(t: Table): Figure[] {
  const notClosed = (r: GroupRow): boolean => r.status !== 'closed';
  return [
    ...t.rows.flatMap((row) => [
      ...t.columns.map((type, j) => ({
        where: (r: GroupRow) => notClosed(r) && r.area === row.area && r.type === type,
        shown: row.cells[j]!,
      })),
      { where: (r: GroupRow) => notClosed(r) && r.area === row.area, shown: row.total },
    ]),
    ...t.columns.map((type, j) => ({ where: (r: GroupRow) => notClosed(r) && r.type === type, shown: t.columnTotals[j]! })),
    { where: notClosed, shown: t.total },
  ];
}

/**
 * What both answers give away: the unknowns are the status cells groups withholds (a combination
 * it leaves out is a known zero, one it shows is known); every figure the overview shows is an
 * equation over them. Answers the withheld status cells and overview figures that follow.
 */
export function leaks(groups: readonly GroupCell[], overview: Table): string[] {
  const unknown = groups.flatMap((c, i) => (c.count === null ? [i] : []));
  const vector = (where: (r: GroupRow) => boolean): number[] => unknown.map((i) => (where({ ...groups[i]!, n: 0 }) ? 1 : 0));
  const figures = overviewFigures(overview);
  const equations = figures.filter((f) => f.shown !== null).map((f) => vector(f.where));
  const out: string[] = [];
  unknown.forEach((i, k) => {
    const unit = unknown.map((_, m) => (m === k ? 1 : 0));
    if (inSpan(equations, unit)) out.push(`groups ${JSON.stringify(groups[i])}`);
  });
  figures.forEach((f, k) => {
    if (f.shown === null && inSpan(equations, vector(f.where))) out.push(`overview figure ${k}`);
  });
  return out;
}
