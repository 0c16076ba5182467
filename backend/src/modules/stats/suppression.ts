/**
 * Complementary small-cell suppression of a two-way table published with its margins (every row
 * total, every column total and the grand total). Pure: no I/O.
 *
 * The table and its margins form an (R+1) × (C+1) grid of entries in which every line (a row or
 * a column of the grid) is one equation: its entries sum to its total entry. An entry below the
 * threshold is withheld (primary suppression). A withheld entry can be worked out from what is
 * shown exactly when it is a bridge of the graph whose nodes are the grid's lines and whose edges
 * are the withheld entries (the equations are that graph's incidence matrix, up to signs): alone
 * in a line it follows by one subtraction, and a bridge between two groups of withheld entries
 * follows by adding and subtracting whole lines. So further entries are withheld (complementary
 * suppression, the smallest first) until no withheld entry is a bridge: then each lies on a cycle
 * of withheld entries, and moving one up and the next down around it changes no line's sum.
 * (Sums of other shapes: `cell-suppression.ts`.)
 */

export interface TableSuppression {
  /** Per cell [row][column]: withheld. */
  readonly cells: readonly (readonly boolean[])[];
  readonly rowTotals: readonly boolean[];
  readonly columnTotals: readonly boolean[];
  readonly grandTotal: boolean;
}

export interface SuppressionOptions {
  /** Withhold the grand total whatever its size (it is shown elsewhere where it was withheld). */
  readonly withholdGrandTotal?: boolean;
  /** Entries of the grid (margins included: row totals in the last column) withheld whatever their size. */
  readonly withhold?: readonly (readonly [number, number])[];
}

/** The grid: the cells, each row's total as a last column, the column totals as a last row. */
export function withMargins(counts: readonly (readonly number[])[], columns: number): number[][] {
  const rows = counts.map((r) => [...r, r.reduce((a, b) => a + b, 0)]);
  const last = Array.from({ length: columns + 1 }, (_, j) => rows.reduce((a, r) => a + r[j]!, 0));
  return [...rows, last];
}

/**
 * Withholds every count below `minCellSize` (zero is shown: an empty cell points at no one), then
 * enough further entries that none withheld can be derived from the rest by subtraction.
 * Deterministic.
 */
export function suppressTable(
  counts: readonly (readonly number[])[],
  columns: number,
  minCellSize: number,
  options: SuppressionOptions = {},
): TableSuppression {
  const grid = withMargins(counts, columns);
  const R = grid.length;
  const C = columns + 1;
  const hidden = grid.map((row) => row.map((n) => n > 0 && n < minCellSize));
  if (options.withholdGrandTotal) hidden[R - 1]![C - 1] = true;
  for (const [i, j] of options.withhold ?? []) hidden[i]![j] = true;

  // Nodes: rows 0..R-1, columns R..R+C-1; each withheld entry an edge.
  const edgesAt = (node: number): [number, number][] => {
    const out: [number, number][] = [];
    if (node < R) {
      for (let j = 0; j < C; j++) if (hidden[node]![j]) out.push([node, j]);
    } else {
      for (let i = 0; i < R; i++) if (hidden[i]![node - R]) out.push([i, node - R]);
    }
    return out;
  };
  /** The nodes reachable from `start` over withheld entries, not crossing entry `skip`. */
  const reach = (start: number, skip: [number, number]): Set<number> => {
    const seen = new Set([start]);
    const todo = [start];
    while (todo.length > 0) {
      const node = todo.pop()!;
      for (const [i, j] of edgesAt(node)) {
        if (i === skip[0] && j === skip[1]) continue;
        const other = node < R ? R + j : i;
        if (!seen.has(other)) {
          seen.add(other);
          todo.push(other);
        }
      }
    }
    return seen;
  };
  /** The visible entry to withhold among `candidates`: the smallest positive count, else the first. */
  const cheapest = (candidates: [number, number][]): [number, number] | null => {
    const open = candidates.filter(([i, j]) => !hidden[i]![j]);
    const positive = open.filter(([i, j]) => grid[i]![j]! > 0);
    const pool = positive.length > 0 ? positive : open;
    let best: [number, number] | null = null;
    for (const e of pool) if (best === null || grid[e[0]]![e[1]]! < grid[best[0]]![best[1]]!) best = e;
    return best;
  };
  const line = (node: number): [number, number][] =>
    node < R ? Array.from({ length: C }, (_, j) => [node, j]) : Array.from({ length: R }, (_, i) => [i, node - R]);

  for (;;) {
    // A line with one withheld entry gives it away by one subtraction: withhold a second there,
    // preferring one whose other line already has a withheld entry (it closes a cycle sooner).
    const lone = Array.from({ length: R + C }, (_, n) => n).find((n) => edgesAt(n).length === 1);
    if (lone !== undefined) {
      const candidates = line(lone);
      const crossing = candidates.filter(([i, j]) => edgesAt(lone < R ? R + j : i).length > 0);
      const partner = cheapest(crossing) ?? cheapest(candidates);
      if (partner === null) throw new Error('a line of one entry cannot be protected');
      hidden[partner[0]]![partner[1]] = true;
      continue;
    }
    const bridge = findBridge(R, C, hidden, reach);
    if (bridge === null) break;
    // Every line has two withheld entries or none, so each side of the bridge holds a row and a
    // column: an entry joining the sides closes a cycle through the bridge.
    const a = reach(bridge[0], bridge);
    const b = reach(R + bridge[1], bridge);
    const joining: [number, number][] = [];
    for (let i = 0; i < R; i++)
      for (let j = 0; j < C; j++) if ((a.has(i) && b.has(R + j)) || (b.has(i) && a.has(R + j))) joining.push([i, j]);
    const partner = cheapest(joining);
    if (partner === null) throw new Error('a bridge without a joining entry');
    hidden[partner[0]]![partner[1]] = true;
  }
  return {
    cells: hidden.slice(0, R - 1).map((row) => row.slice(0, C - 1)),
    rowTotals: hidden.slice(0, R - 1).map((row) => row[C - 1]!),
    columnTotals: hidden[R - 1]!.slice(0, C - 1),
    grandTotal: hidden[R - 1]![C - 1]!,
  };
}

/** A withheld entry whose removal disconnects its row from its column, or null. */
function findBridge(
  R: number,
  C: number,
  hidden: readonly (readonly boolean[])[],
  reach: (start: number, skip: [number, number]) => Set<number>,
): [number, number] | null {
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) if (hidden[i]![j] && !reach(i, [i, j]).has(R + j)) return [i, j];
  return null;
}
