/**
 * The reader's attack, independent of any implementation: the shown figures are linear equations
 * over the withheld counts (shown counts moved to the right-hand side). A withheld quantity can be
 * derived exactly when its coefficient vector lies in the row space of those equations, i.e.
 * adding it does not raise the rank.
 */
export function rank(rows: number[][]): number {
  const m = rows.map((r) => [...r]);
  const n = m[0]?.length ?? 0;
  let r = 0;
  for (let col = 0; col < n && r < m.length; col++) {
    const p = m.findIndex((row, k) => k >= r && Math.abs(row[col]!) > 1e-9);
    if (p < 0) continue;
    [m[r], m[p]] = [m[p]!, m[r]!];
    for (let k = 0; k < m.length; k++) {
      if (k === r) continue;
      const f = m[k]![col]! / m[r]![col]!;
      if (f !== 0) m[k] = m[k]!.map((v, j) => v - f * m[r]![j]!);
    }
    r++;
  }
  return r;
}

/** Whether `target` (coefficients over the withheld counts) follows from the equations. */
export function inSpan(equations: number[][], target: number[]): boolean {
  return rank([...equations, target]) === rank(equations);
}
