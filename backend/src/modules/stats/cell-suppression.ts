/**
 * Small-cell suppression for group-level figures that cannot be undone by subtraction.
 *
 * A table of counts (e.g. area × type × status) is shown with some totals over it (per row, per
 * column, the grand total — and the same figures shown elsewhere unsuppressed, such as an
 * agency's counts per type and status). A count below `minCellSize` is withheld (primary
 * suppression); then more cells are withheld (complementary suppression, the smallest first) or
 * totals held back, until no withheld count can be worked out from what is shown: not by
 * subtracting visible cells from a total, not by any combination of totals (linear algebra over
 * the rationals), and not by bounds (a cell that is listed holds at least 1, so two withheld
 * cells summing to 2 would both be 1). Pure: no I/O.
 *
 * The general case, for sums that are not the lines of one two-way table (`GET /stats/groups`
 * with the overview's active cases, `groups.ts`); a table with its margins takes the faster
 * `suppression.ts`, which decides the same question for that shape by graph bridges.
 */

/** A count at one combination of the table's dimensions (absent combinations are known zeros). */
export interface CountCell {
  readonly key: readonly (string | null)[];
  readonly count: number;
}

/** A sum over some cells that a reader can see. */
export interface Total {
  /** Indices into the cells. */
  readonly cells: readonly number[];
  /** Shown elsewhere unsuppressed (so it cannot be held back): protect by withholding cells. */
  readonly fixed: boolean;
}

export type SuppressionReason = 'small' | 'complementary';

/**
 * Sums of cells that another answer publishes beside these cells and withholds there: each must
 * stay underivable from the cells shown here and the totals in `beside` (what that answer shows).
 */
export interface Protection {
  readonly sums: readonly (readonly number[])[];
  /** Indices into the totals: the ones the reader of those sums sees next to them. */
  readonly beside: readonly number[];
  /** Cells withheld whatever their count (a zero that the other answer withholds). */
  readonly withhold?: readonly number[];
}

export interface Suppression {
  /** Per cell, in input order: why it is withheld, or null when it may be shown. */
  readonly reasons: readonly (SuppressionReason | null)[];
  /**
   * Indices into the totals that must not be shown. A fixed total lands here only when no cell
   * could protect it (its only listed cell is withheld): the caller must then hold it back too
   * (for a total in `beside`: the other answer withholds it).
   */
  readonly hiddenTotals: readonly number[];
  /** Indices into the protected sums that no cell could keep underivable (their figures must be held back). */
  readonly unprotected: readonly number[];
}

/**
 * Every marginal total of a table whose cells are keyed by dimension values: for each non-empty
 * set of dimensions summed over, one total per combination of the others (the grand total
 * included). Totals over the dimensions listed in `fixedOver` (all of them summed) are fixed.
 * Totals with the same cells are listed once (fixed if any of them is).
 */
export function marginalTotals(keys: readonly (readonly (string | null)[])[], fixedOver: readonly number[] = []): Total[] {
  const dims = keys[0]?.length ?? 0;
  const byCells = new Map<string, { cells: number[]; fixed: boolean }>();
  for (let mask = 1; mask < 1 << dims; mask++) {
    const fixed = fixedOver.length > 0 && fixedOver.every((d) => (mask & (1 << d)) !== 0);
    const groups = new Map<string, number[]>();
    keys.forEach((key, i) => {
      const rest = JSON.stringify(key.filter((_, d) => (mask & (1 << d)) === 0));
      const g = groups.get(rest);
      if (g) g.push(i);
      else groups.set(rest, [i]);
    });
    for (const cells of groups.values()) {
      const id = cells.join(',');
      const seen = byCells.get(id);
      if (seen) seen.fixed ||= fixed;
      else byCells.set(id, { cells, fixed });
    }
  }
  return [...byCells.values()];
}

/**
 * Withholds every count below `minCellSize`, then enough further cells (or non-fixed totals) that
 * no withheld count can be derived from the cells and totals left visible. Deterministic: among
 * equal candidates the one listed first is chosen.
 */
export function suppressSmallCells(
  cells: readonly CountCell[],
  minCellSize: number,
  totals: readonly Total[],
  protection: Protection = { sums: [], beside: [] },
): Suppression {
  const reasons: (SuppressionReason | null)[] = cells.map((c) => (c.count > 0 && c.count < minCellSize ? 'small' : null));
  for (const i of protection.withhold ?? []) reasons[i] ??= 'complementary';
  const hidden = new Set<number>();
  /** Protected sums that no cell here could keep underivable (the caller learns of them). */
  const lost = new Set<number>();
  if (!reasons.some((r) => r !== null) && protection.sums.length === 0) return { reasons, hiddenTotals: [], unprotected: [] };
  const withheld = (i: number): boolean => reasons[i] !== null;
  // A cell that a visible fixed total equals on its own cannot be withheld to any effect. A total
  // the other answer shows beside these cells is no such bar: it is held back there instead.
  const pinned = (i: number): boolean =>
    totals.some((t, ti) => t.fixed && !hidden.has(ti) && t.cells.length === 1 && t.cells[0] === i && !protection.beside.includes(ti));
  const smallestVisible = (members: Iterable<number>, evenPinned = false): number | null => {
    let best: number | null = null;
    for (const i of members) {
      if (withheld(i) || cells[i]!.count <= 0 || (pinned(i) && !evenPinned)) continue;
      if (best === null || cells[i]!.count < cells[best]!.count || (cells[i]!.count === cells[best]!.count && i < best)) best = i;
    }
    return best;
  };

  for (;;) {
    // A visible total with exactly one withheld cell gives that cell away by subtraction.
    const lone = totals.findIndex((t, ti) => !hidden.has(ti) && t.cells.filter(withheld).length === 1);
    if (lone >= 0) {
      const t = totals[lone]!;
      const partner = t.fixed ? smallestVisible(t.cells) : null;
      if (partner === null) hidden.add(lone);
      else reasons[partner] = 'complementary';
      continue;
    }
    const exposed = firstExposed(
      cells,
      withheld,
      totals.filter((_, ti) => !hidden.has(ti)),
    );
    if (exposed === null) {
      const leak = firstDerivableSum(
        cells,
        withheld,
        protection.sums.map((sum, k) => (lost.has(k) ? [] : sum)),
        protection.beside.filter((ti) => !hidden.has(ti)).map((ti) => totals[ti]!),
      );
      if (leak === null) break;
      // Withhold a cell of the sum, or else of a total beside it that shares cells with it: even one
      // an agency's own figures show, since the other answer's readers need not see those.
      const sum = protection.sums[leak]!;
      const near = protection.beside.map((ti) => totals[ti]!).filter((t) => t.cells.some((i) => sum.includes(i)));
      const besideNow = protection.beside.filter((ti) => !hidden.has(ti)).map((ti) => totals[ti]!);
      const candidates = [...new Set([sum, ...near.map((t) => t.cells)].flat())]
        .filter((i) => !withheld(i) && cells[i]!.count > 0)
        .sort((x, y) => cells[x]!.count - cells[y]!.count || x - y);
      // Prefer the smallest cell that alone makes the sum underivable; else the nearest smallest.
      const protects = candidates.find((c) => firstDerivableSum(cells, (i) => i === c || withheld(i), [sum], besideNow) === null);
      const partner =
        protects ?? [sum, ...near.map((t) => t.cells)].map((members) => smallestVisible(members, true)).find((p) => p !== null) ?? null;
      if (partner === null) lost.add(leak);
      else reasons[partner] = 'complementary';
      continue;
    }
    // Held-back totals cost nothing where they are not shown; fixed ones need a partner cell.
    const containing = totals.map((t, ti) => ({ t, ti })).filter(({ t, ti }) => !hidden.has(ti) && t.cells.includes(exposed));
    const free = containing.filter(({ t }) => !t.fixed);
    if (free.length > 0) {
      for (const { ti } of free) hidden.add(ti);
      continue;
    }
    // The partner comes from the narrowest total that has one: it protects where the leak is.
    const narrowest = containing.map(({ t }) => t).sort((a, b) => a.cells.length - b.cells.length);
    const partner = narrowest.map((t) => smallestVisible(t.cells)).find((p) => p !== null) ?? null;
    if (partner !== null) reasons[partner] = 'complementary';
    else for (const { ti } of containing) hidden.add(ti);
  }
  return { reasons, hiddenTotals: [...hidden].sort((a, b) => a - b), unprotected: [...lost].sort((a, b) => a - b) };
}

/**
 * The first withheld cell whose value follows from the visible cells and totals, by linear
 * algebra (a reduced row echelon form over the rationals) or by bounds (every listed cell ≥ 1).
 */
function firstExposed(cells: readonly CountCell[], withheld: (i: number) => boolean, totals: readonly Total[]): number | null {
  const unknowns = cells.map((_, i) => i).filter(withheld);
  const column = new Map(unknowns.map((cell, j) => [cell, j]));
  const equations: { coef: Fraction[]; rhs: Fraction }[] = totals
    .map((t) => {
      const coef = unknowns.map(() => ZERO);
      let rhs = 0;
      for (const i of t.cells) {
        const j = column.get(i);
        if (j === undefined) continue;
        coef[j] = ONE;
        rhs += cells[i]!.count;
      }
      return { coef, rhs: frac(BigInt(rhs)) };
    })
    .filter((e) => e.coef.some((c) => c.n !== 0n));

  const reduced = rref(equations, unknowns.length);
  for (const row of reduced) {
    const nonzero = row.coef.flatMap((c, j) => (c.n !== 0n ? [j] : []));
    if (nonzero.length === 1) return unknowns[nonzero[0]!]!;
  }
  const bounded = boundsExposed([...equations, ...reduced], unknowns.length);
  return bounded === null ? null : unknowns[bounded]!;
}

/** The first sum whose value follows linearly from the visible cells and the given totals. */
function firstDerivableSum(
  cells: readonly CountCell[],
  withheld: (i: number) => boolean,
  sums: readonly (readonly number[])[],
  totals: readonly Total[],
): number | null {
  if (sums.length === 0) return null;
  const unknowns = cells.map((_, i) => i).filter(withheld);
  const column = new Map(unknowns.map((cell, j) => [cell, j]));
  const vector = (members: readonly number[]): Fraction[] => {
    const v = unknowns.map(() => ZERO);
    for (const i of members) {
      const j = column.get(i);
      if (j !== undefined) v[j] = ONE;
    }
    return v;
  };
  const reduced = rref(
    totals.map((t) => ({ coef: vector(t.cells), rhs: ZERO })),
    unknowns.length,
  );
  const index = sums.findIndex((members) => {
    // A sum over no cell is a known zero wherever it is published: nothing here changes that.
    if (members.length === 0) return false;
    // Reduce by each row at its pivot: what is left is zero exactly when the sum is in the span.
    let v = vector(members);
    for (const row of reduced) {
      const p = row.coef.findIndex((c) => c.n !== 0n);
      const f = v[p]!;
      if (f.n !== 0n) v = v.map((c, j) => sub(c, mul(f, row.coef[j]!)));
    }
    return v.every((c) => c.n === 0n);
  });
  return index < 0 ? null : index;
}

/** Interval propagation over the equations, with every unknown an integer ≥ 1. */
function boundsExposed(equations: readonly { coef: readonly Fraction[]; rhs: Fraction }[], n: number): number | null {
  const lo = new Array<number>(n).fill(1);
  const hi = new Array<number>(n).fill(Infinity);
  const eqs = equations.map((e) => ({ coef: e.coef.map(toNumber), rhs: toNumber(e.rhs) }));
  const eps = 1e-9;
  for (let round = 0, changed = true; changed && round < 100; round++) {
    changed = false;
    for (const { coef, rhs } of eqs) {
      for (let i = 0; i < n; i++) {
        const a = coef[i]!;
        if (a === 0) continue;
        let restLo = 0;
        let restHi = 0;
        for (let j = 0; j < n; j++) {
          const c = coef[j]!;
          if (j === i || c === 0) continue;
          restLo += c > 0 ? c * lo[j]! : c * hi[j]!;
          restHi += c > 0 ? c * hi[j]! : c * lo[j]!;
        }
        // a·x_i = rhs − rest, rest ∈ [restLo, restHi]
        const [p, q] = [(rhs - restHi) / a, (rhs - restLo) / a];
        const newLo = Math.ceil(Math.min(p, q) - eps);
        const newHi = Math.floor(Math.max(p, q) + eps);
        if (Number.isFinite(newLo) && newLo > lo[i]!) {
          lo[i] = newLo;
          changed = true;
        }
        if (Number.isFinite(newHi) && newHi < hi[i]!) {
          hi[i] = newHi;
          changed = true;
        }
      }
    }
  }
  for (let i = 0; i < n; i++) if (lo[i] === hi[i]) return i;
  return null;
}

interface Fraction {
  readonly n: bigint;
  readonly d: bigint;
}
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
function frac(n: bigint, d = 1n): Fraction {
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}
const ZERO = frac(0n);
const ONE = frac(1n);
const sub = (a: Fraction, b: Fraction): Fraction => frac(a.n * b.d - b.n * a.d, a.d * b.d);
const mul = (a: Fraction, b: Fraction): Fraction => frac(a.n * b.n, a.d * b.d);
const div = (a: Fraction, b: Fraction): Fraction => frac(a.n * b.d, a.d * b.n);
const toNumber = (a: Fraction): number => Number(a.n) / Number(a.d);

/** Reduced row echelon form of the equations (zero rows dropped). */
function rref(equations: readonly { coef: readonly Fraction[]; rhs: Fraction }[], n: number): { coef: Fraction[]; rhs: Fraction }[] {
  const rows = equations.map((e) => ({ coef: [...e.coef], rhs: e.rhs }));
  let r = 0;
  for (let col = 0; col < n && r < rows.length; col++) {
    const pivot = rows.findIndex((row, k) => k >= r && row.coef[col]!.n !== 0n);
    if (pivot < 0) continue;
    [rows[r], rows[pivot]] = [rows[pivot]!, rows[r]!];
    const p = rows[r]!;
    const pv = p.coef[col]!;
    p.coef = p.coef.map((c) => div(c, pv));
    p.rhs = div(p.rhs, pv);
    for (let k = 0; k < rows.length; k++) {
      if (k === r) continue;
      const f = rows[k]!.coef[col]!;
      if (f.n === 0n) continue;
      rows[k]!.coef = rows[k]!.coef.map((c, j) => sub(c, mul(f, p.coef[j]!)));
      rows[k]!.rhs = sub(rows[k]!.rhs, mul(f, p.rhs));
    }
    r++;
  }
  return rows.slice(0, r);
}
