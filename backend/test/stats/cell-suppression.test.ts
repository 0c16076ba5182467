import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { marginalTotals, suppressSmallCells, type CountCell, type Total } from '../../src/modules/stats/cell-suppression.js';

const STATUSES = ['open', 'active', 'closed'] as const;
const TYPES = ['sspf', 'avhoppare'] as const;

/** Cells of an area × type × status table from rows `[area, type, open, active, closed]`; zeros are left out, as the API does. */
function table(rows: [string | null, string, number, number, number][]): CountCell[] {
  return rows.flatMap(([area, type, ...counts]) =>
    counts.flatMap((count, s) => (count > 0 ? [{ key: [area, type, STATUSES[s]!], count }] : [])),
  );
}

/** As the coordinator sees them: the figures summed over areas are shown unsuppressed elsewhere (their agency's counts). */
const totalsOf = (cells: CountCell[]): Total[] =>
  marginalTotals(
    cells.map((c) => c.key),
    [0],
  );

function withheld(cells: CountCell[], min: number): { cells: CountCell[]; totals: Total[]; hidden: Set<number>; out: string[] } {
  const totals = totalsOf(cells);
  const r = suppressSmallCells(cells, min, totals);
  return { cells, totals, hidden: new Set(r.hiddenTotals), out: cells.map((c, i) => `${c.key.join('/')}=${r.reasons[i] ?? c.count}`) };
}

interface Shown {
  visible: Map<number, number>;
  unknown: number[];
  sums: { cells: number[]; value: number }[];
}

/** What a reader sees: the visible cells, and every total left visible (its value is the true sum). */
function shown(cells: CountCell[], totals: Total[], hidden: Set<number>, reasons: readonly (string | null)[]): Shown {
  const visible = new Map<number, number>();
  const unknown: number[] = [];
  cells.forEach((c, i) => (reasons[i] === null ? visible.set(i, c.count) : unknown.push(i)));
  const sums = totals.flatMap((t, ti) =>
    hidden.has(ti) ? [] : [{ cells: [...t.cells], value: t.cells.reduce((n, i) => n + cells[i]!.count, 0) }],
  );
  return { visible, unknown, sums };
}

/**
 * The subtraction attacker: takes every visible total minus its visible cells, then subtracts
 * every known sum from every other that contains it, again and again; a sum left over a single
 * withheld cell gives that cell away.
 */
function subtractionAttack(s: Shown): Map<number, number> {
  const known = new Map<string, { cells: number[]; value: number }>();
  const add = (cells: number[], value: number): boolean => {
    const id = [...cells].sort((a, b) => a - b).join(',');
    if (cells.length === 0 || known.has(id)) return false;
    known.set(id, { cells, value });
    return true;
  };
  for (const t of s.sums)
    add(
      t.cells.filter((i) => !s.visible.has(i)),
      t.value - t.cells.reduce((n, i) => n + (s.visible.get(i) ?? 0), 0),
    );
  for (let grew = true; grew && known.size < 5000;) {
    grew = false;
    const list = [...known.values()];
    for (const a of list) {
      for (const b of list) {
        if (a === b || a.cells.length >= b.cells.length || !a.cells.every((i) => b.cells.includes(i))) continue;
        grew =
          add(
            b.cells.filter((i) => !a.cells.includes(i)),
            b.value - a.value,
          ) || grew;
      }
    }
  }
  const found = new Map<number, number>();
  for (const k of known.values()) if (k.cells.length === 1) found.set(k.cells[0]!, k.value);
  return found;
}

/**
 * The strongest attacker: every assignment of whole numbers ≥ 1 (a listed cell holds at least
 * one case) to the withheld cells that agrees with every visible total. A cell is recovered when
 * no such assignment gives it another value than its true one.
 */
function bruteForceAttack(s: Shown, truth: (i: number) => number): number[] {
  const eqs = s.sums
    .map((t) => ({
      vars: t.cells.filter((i) => !s.visible.has(i)),
      rhs: t.value - t.cells.reduce((n, i) => n + (s.visible.get(i) ?? 0), 0),
    }))
    .filter((e) => e.vars.length > 0);
  const recovered: number[] = [];
  for (const target of s.unknown) {
    if (!eqs.some((e) => e.vars.includes(target))) continue;
    const value = new Map<number, number>();
    const fits = (): boolean =>
      eqs.every((e) => {
        let sum = 0;
        let open = 0;
        for (const v of e.vars) {
          const x = value.get(v);
          if (x === undefined) open++;
          else sum += x;
        }
        return open === 0 ? sum === e.rhs : sum + open <= e.rhs;
      });
    const order = [target, ...s.unknown.filter((i) => i !== target && eqs.some((e) => e.vars.includes(i)))];
    const upper = (i: number): number => Math.min(...eqs.filter((e) => e.vars.includes(i)).map((e) => e.rhs - (e.vars.length - 1)));
    const search = (k: number): boolean => {
      if (k === order.length) return true;
      const v = order[k]!;
      for (let x = 1; x <= upper(v); x++) {
        if (k === 0 && x === truth(v)) continue;
        value.set(v, x);
        if (fits() && search(k + 1)) return true;
      }
      value.delete(v);
      return false;
    };
    if (!search(0)) recovered.push(target);
  }
  return recovered;
}

/**
 * The linear attacker: any combination of the visible totals (sums and differences with any
 * factors), by elimination modulo a large prime. A withheld cell is recovered when its unit vector
 * lies in the span of the totals' rows.
 */
function linearAttack(s: Shown): number[] {
  const P = 2_147_483_647n;
  const inv = (a: bigint): bigint => {
    let [r, x, e] = [1n, ((a % P) + P) % P, P - 2n];
    while (e > 0n) {
      if (e & 1n) r = (r * x) % P;
      x = (x * x) % P;
      e >>= 1n;
    }
    return r;
  };
  const col = new Map(s.unknown.map((c, j) => [c, j]));
  const rows = s.sums.map((t) => {
    const row = s.unknown.map(() => 0n);
    for (const i of t.cells) if (col.has(i)) row[col.get(i)!] = 1n;
    return row;
  });
  const basis: bigint[][] = [];
  const pivots: number[] = [];
  for (const row of rows) {
    const r = [...row];
    basis.forEach((b, k) => {
      const f = r[pivots[k]!]!;
      if (f !== 0n) for (let j = 0; j < r.length; j++) r[j] = (((r[j]! - f * b[j]!) % P) + P) % P;
    });
    const p = r.findIndex((x) => x !== 0n);
    if (p < 0) continue;
    const f = inv(r[p]!);
    for (let j = 0; j < r.length; j++) r[j] = (r[j]! * f) % P;
    for (const b of basis) {
      const g = b[p]!;
      if (g !== 0n) for (let j = 0; j < b.length; j++) b[j] = (((b[j]! - g * r[j]!) % P) + P) % P;
    }
    basis.push(r);
    pivots.push(p);
  }
  return basis.flatMap((b) => (b.filter((x) => x !== 0n).length === 1 ? [s.unknown[b.findIndex((x) => x !== 0n)]!] : []));
}

describe('small-cell suppression: decision table', () => {
  const cases: {
    name: string;
    min: number;
    rows: [string | null, string, number, number, number][];
    expected: string[];
    hidden?: number;
  }[] = [
    {
      name: 'nothing small: everything shown',
      min: 3,
      rows: [
        ['Norrby', 'sspf', 5, 7, 3],
        ['Hulta', 'sspf', 4, 3, 9],
      ],
      expected: [
        'Norrby/sspf/open=5',
        'Norrby/sspf/active=7',
        'Norrby/sspf/closed=3',
        'Hulta/sspf/open=4',
        'Hulta/sspf/active=3',
        'Hulta/sspf/closed=9',
      ],
    },
    {
      name: 'one small cell in a column shown in total: the smallest other cell of that column is withheld too',
      min: 3,
      rows: [
        ['Norrby', 'sspf', 2, 7, 3],
        ['Hulta', 'sspf', 4, 3, 9],
        ['Sjöbo', 'sspf', 6, 3, 4],
      ],
      expected: [
        'Norrby/sspf/open=small',
        'Norrby/sspf/active=7',
        'Norrby/sspf/closed=3',
        'Hulta/sspf/open=complementary',
        'Hulta/sspf/active=3',
        'Hulta/sspf/closed=9',
        'Sjöbo/sspf/open=6',
        'Sjöbo/sspf/active=3',
        'Sjöbo/sspf/closed=4',
      ],
    },
    {
      name: 'two ones in one column: their total 2 would give both away, so a third cell is withheld',
      min: 3,
      rows: [
        ['Norrby', 'sspf', 1, 7, 3],
        ['Hulta', 'sspf', 1, 3, 9],
        ['Sjöbo', 'sspf', 6, 3, 4],
      ],
      expected: [
        'Norrby/sspf/open=small',
        'Norrby/sspf/active=7',
        'Norrby/sspf/closed=3',
        'Hulta/sspf/open=small',
        'Hulta/sspf/active=3',
        'Hulta/sspf/closed=9',
        'Sjöbo/sspf/open=complementary',
        'Sjöbo/sspf/active=3',
        'Sjöbo/sspf/closed=4',
      ],
    },
    {
      name: 'two small cells of 1 and 2 in a column: the total 3 leaves 1+2 or 2+1, nothing more is withheld',
      min: 3,
      rows: [
        ['Norrby', 'sspf', 1, 7, 3],
        ['Hulta', 'sspf', 2, 3, 9],
      ],
      expected: [
        'Norrby/sspf/open=small',
        'Norrby/sspf/active=7',
        'Norrby/sspf/closed=3',
        'Hulta/sspf/open=small',
        'Hulta/sspf/active=3',
        'Hulta/sspf/closed=9',
      ],
    },
    {
      name: 'the only avhoppare case: no cell can protect it, so the totals over it shown elsewhere are reported as to be held back',
      min: 3,
      rows: [
        ['Norrby', 'sspf', 5, 7, 3],
        ['Hulta', 'avhoppare', 0, 1, 0],
      ],
      expected: ['Norrby/sspf/open=5', 'Norrby/sspf/active=7', 'Norrby/sspf/closed=3', 'Hulta/avhoppare/active=small'],
      // avhoppare/active (= avhoppare), all active, the grand total
      hidden: 3,
    },
    {
      name: 'protected identities (area null) are one more row, protected the same way',
      min: 3,
      rows: [
        ['Norrby', 'sspf', 5, 7, 3],
        [null, 'sspf', 2, 0, 0],
      ],
      expected: ['Norrby/sspf/open=complementary', 'Norrby/sspf/active=7', 'Norrby/sspf/closed=3', '/sspf/open=small'],
    },
  ];

  it.each(cases)('$name', ({ rows, min, expected, hidden }) => {
    const r = withheld(table(rows), min);
    expect(r.out).toEqual(expected);
    const fixedHidden = [...r.hidden].filter((ti) => r.totals[ti]!.fixed);
    expect(fixedHidden.length).toBe(hidden ?? 0);
  });

  it('lists every marginal of area × type × status once, the ones summed over areas as fixed', () => {
    const cells = table([
      ['Norrby', 'sspf', 5, 7, 3],
      ['Hulta', 'sspf', 4, 0, 9],
    ]);
    const totals = totalsOf(cells);
    const names = totals.map((t) => `${t.fixed ? 'fixed' : 'free'}:${t.cells.join(',')}`).sort();
    expect(names).toEqual(
      [
        'fixed:0,1,2,3,4', // grand total (also the type sspf)
        'fixed:0,3', // sspf open over areas
        'fixed:1', // sspf active over areas: one cell
        'fixed:2,4', // sspf closed over areas
        'free:0',
        'free:0,1,2',
        'free:2',
        'free:3',
        'free:3,4',
        'free:4',
      ].sort(),
    );
  });

  it('withholds nothing when the smallest shown figure is 1', () => {
    const cells = table([['Norrby', 'sspf', 1, 2, 0]]);
    expect(suppressSmallCells(cells, 1, totalsOf(cells)).reasons).toEqual([null, null]);
  });
});

describe('small-cell suppression against attackers', () => {
  function attack(
    rows: [string | null, string, number, number, number][],
    min: number,
    brute = true,
  ): { subtraction: Map<number, number>; linear: number[]; brute: number[]; unknown: number } {
    const cells = table(rows);
    const totals = totalsOf(cells);
    const r = suppressSmallCells(cells, min, totals);
    const s = shown(cells, totals, new Set(r.hiddenTotals), r.reasons);
    // Nothing below the minimum is ever shown.
    for (const [i, v] of s.visible) expect(v, `cell ${i}`).toBeGreaterThanOrEqual(min);
    return {
      subtraction: subtractionAttack(s),
      linear: linearAttack(s),
      brute: brute ? bruteForceAttack(s, (i) => cells[i]!.count) : [],
      unknown: s.unknown.length,
    };
  }

  it('the attackers do recover cells from primary suppression alone (so the test can see a leak)', () => {
    const cells = table([
      ['Norrby', 'sspf', 2, 7, 3],
      ['Hulta', 'sspf', 4, 3, 9],
      ['Sjöbo', 'sspf', 1, 1, 4],
    ]);
    const totals = totalsOf(cells);
    const primaryOnly = cells.map((c) => (c.count < 3 ? 'small' : null));
    const s = shown(cells, totals, new Set(), primaryOnly);
    expect(subtractionAttack(s).size).toBeGreaterThan(0);
    expect(linearAttack(s).length).toBeGreaterThan(0);
    expect(bruteForceAttack(s, (i) => cells[i]!.count).length).toBeGreaterThan(0);
  });

  it('a municipality-sized table keeps every withheld cell', () => {
    const a = attack(
      [
        ['Hulta', 'sspf', 6, 2, 9],
        ['Hulta', 'avhoppare', 0, 1, 3],
        ['Hässleholmen', 'sspf', 1, 8, 12],
        ['Hässleholmen', 'avhoppare', 1, 0, 0],
        ['Norrby', 'sspf', 4, 5, 1],
        ['Norrby', 'avhoppare', 0, 2, 5],
        ['Sjöbo', 'sspf', 7, 1, 6],
        [null, 'sspf', 0, 1, 0],
        [null, 'avhoppare', 1, 0, 0],
      ],
      5,
      false,
    );
    expect(a.unknown).toBeGreaterThan(10);
    expect([...a.subtraction.keys()]).toEqual([]);
    expect(a.linear).toEqual([]);
  });

  it('no subtraction over the visible totals and no whole-number search recovers a withheld cell', () => {
    const count = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 3, max: 9 }));
    const row = (area: string | null) => fc.tuple(fc.constant(area), fc.constantFrom(...TYPES), count, count, count);
    const rows = fc.uniqueArray(fc.oneof(row('Norrby'), row('Hulta'), row('Sjöbo'), row(null)), {
      minLength: 1,
      maxLength: 4,
      selector: (r) => `${r[0]}/${r[1]}`,
    });
    fc.assert(
      fc.property(rows, fc.constantFrom(3, 5), (rs, min) => {
        const a = attack(rs as [string | null, string, number, number, number][], min);
        expect([...a.subtraction.keys()]).toEqual([]);
        expect(a.linear).toEqual([]);
        expect(a.brute).toEqual([]);
      }),
      { numRuns: 1000, seed: 20261204 },
    );
  });
});
