import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { suppressTable, withMargins, type TableSuppression } from '../../src/modules/stats/suppression.js';
import { rank } from './derivable.js';

/** The grid of entries (cells, row totals as a last column, column totals as a last row): withheld or not. */
function hiddenGrid(s: TableSuppression): boolean[][] {
  return [...s.cells.map((row, i) => [...row, s.rowTotals[i]!]), [...s.columnTotals, s.grandTotal]];
}

/**
 * The reader's attack, independent of the implementation: every line of the grid is an equation
 * (its cells sum to its total) over the withheld entries, with the shown entries moved to the
 * right-hand side. A withheld entry can be derived exactly when its unit vector lies in the row
 * space of those equations, i.e. adding it as an equation does not raise the rank.
 */
function derivable(grid: number[][], hidden: boolean[][]): [number, number][] {
  const R = grid.length;
  const C = grid[0]!.length;
  const unknowns: [number, number][] = [];
  hidden.forEach((row, i) => row.forEach((h, j) => h && unknowns.push([i, j])));
  const index = new Map(unknowns.map(([i, j], k) => [`${i},${j}`, k]));
  const equations: number[][] = [];
  // Row i: cells minus the row's total = 0; column j likewise.
  for (let i = 0; i < R; i++) {
    const eq = new Array<number>(unknowns.length).fill(0);
    for (let j = 0; j < C; j++) {
      const k = index.get(`${i},${j}`);
      if (k !== undefined) eq[k] = j === C - 1 ? -1 : 1;
    }
    equations.push(eq);
  }
  for (let j = 0; j < C; j++) {
    const eq = new Array<number>(unknowns.length).fill(0);
    for (let i = 0; i < R; i++) {
      const k = index.get(`${i},${j}`);
      if (k !== undefined) eq[k] = i === R - 1 ? -1 : 1;
    }
    equations.push(eq);
  }
  const base = rank(equations);
  return unknowns.filter((_, k) => {
    const unit = new Array<number>(unknowns.length).fill(0);
    unit[k] = 1;
    return rank([...equations, unit]) === base;
  });
}

const table = fc.record({ rows: fc.integer({ min: 1, max: 6 }), columns: fc.integer({ min: 1, max: 6 }) }).chain(({ rows, columns }) =>
  fc.array(
    fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 40 })), { minLength: columns, maxLength: columns }),
    {
      minLength: rows,
      maxLength: rows,
    },
  ),
);

describe('complementary suppression of a table with its margins', () => {
  it('no withheld entry can be derived from the shown cells and totals, and every small count is withheld', () => {
    fc.assert(
      fc.property(table, fc.integer({ min: 2, max: 6 }), fc.boolean(), (counts, min, grand) => {
        const columns = counts[0]!.length;
        const s = suppressTable(counts, columns, min, { withholdGrandTotal: grand });
        const grid = withMargins(counts, columns);
        const hidden = hiddenGrid(s);
        grid.forEach((row, i) => row.forEach((n, j) => n > 0 && n < min && expect(hidden[i]![j]).toBe(true)));
        if (grand) expect(s.grandTotal).toBe(true);
        // By one subtraction: no line of the grid holds exactly one withheld entry.
        for (const row of hidden) expect(row.filter(Boolean).length).not.toBe(1);
        for (let j = 0; j < grid[0]!.length; j++) expect(hidden.filter((row) => row[j]).length).not.toBe(1);
        // By any sums and differences of lines.
        expect(derivable(grid, hidden)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('withholds nothing when every count is zero or at least the threshold', () => {
    const s = suppressTable(
      [
        [0, 5, 7],
        [9, 0, 12],
      ],
      3,
      5,
    );
    expect(hiddenGrid(s).flat().some(Boolean)).toBe(false);
  });

  it('a small cell takes a second one from its row and its column, the smallest', () => {
    // 2 is small; its row's smallest other is 6 (col 1), its column's smallest other is 8 (row 1);
    // then 9 at (1,1) closes the rectangle.
    const s = suppressTable(
      [
        [2, 6, 30],
        [8, 9, 40],
        [20, 25, 50],
      ],
      3,
      5,
    );
    expect(s.cells).toEqual([
      [true, true, false],
      [true, true, false],
      [false, false, false],
    ]);
    expect(s.rowTotals).toEqual([false, false, false]);
    expect(s.columnTotals).toEqual([false, false, false]);
  });

  it('a row whose only count is small withholds its total too, and then a second row', () => {
    const s = suppressTable(
      [
        [3, 0],
        [10, 20],
      ],
      2,
      5,
    );
    expect(s.cells[0]).toEqual([true, false]);
    expect(s.rowTotals[0]).toBe(true);
    // Column 0 and the column of row totals each need a second withheld entry: row 1's.
    expect(s.cells[1]![0]).toBe(true);
    expect(s.rowTotals[1]).toBe(true);
    expect(s.columnTotals).toEqual([false, false]);
    expect(s.grandTotal).toBe(false);
  });
});
