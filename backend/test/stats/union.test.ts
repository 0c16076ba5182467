import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { marginalTotals, suppressSmallCells } from '../../src/modules/stats/cell-suppression.js';
import { groupFigures, type GroupRow } from '../../src/modules/stats/groups.js';
import { activeCasesTable, type Table } from '../../src/modules/stats/stats.tables.js';
import { leaks } from './union-leaks.js';

/**
 * GET /stats/groups (cases now per area × type × status) and GET /stats/overview for a period
 * ending today (cases not closed per area × type, with margins) count the same cases. Read
 * together, no count either withholds may follow from what both show.
 */

const AREAS = ['Norrby', 'Hulta', 'Sjöbo', null] as const;
const TYPES = ['sspf', 'avhoppare'] as const;
const STATUSES = ['open', 'active', 'closed'] as const;

const population = fc
  .uniqueArray(
    fc.record({
      area: fc.constantFrom(...AREAS),
      type: fc.constantFrom(...TYPES),
      status: fc.constantFrom(...STATUSES),
      n: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 })),
    }),
    { minLength: 1, maxLength: 16, selector: (r) => `${r.area}/${r.type}/${r.status}` },
  )
  .map((rs) => rs as GroupRow[]);

/** Both answers as the endpoints give them for a period ending today: one pass over one population. */
function answers(rows: GroupRow[], min: number): { groups: ReturnType<typeof groupFigures>['cells']; overview: Table } {
  const { cells, active } = groupFigures(rows, [...AREAS], min);
  return { groups: cells, overview: active };
}

describe('group figures and the overview read together', () => {
  it('no count withheld by either can be derived from everything both show', () => {
    fc.assert(
      fc.property(population, fc.constantFrom(3, 5), (rows, min) => {
        const { groups, overview } = answers(rows, min);
        for (const c of groups) if (c.count !== null) expect(c.count).toBeGreaterThanOrEqual(min);
        expect(leaks(groups, overview)).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it('holds for a municipality of thirteen areas too', () => {
    const areas = [...'ABCDEFGHIJKLM'].map((a) => `Område ${a}`);
    const cell = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 40 }));
    const town = fc
      .array(cell, { minLength: (areas.length + 1) * 6, maxLength: (areas.length + 1) * 6 })
      .map((ns) =>
        [...areas, null].flatMap((area, a) =>
          TYPES.flatMap((type, t) => STATUSES.map((status, s) => ({ area, type, status, n: ns[a * 6 + t * 3 + s]! }))),
        ),
      );
    fc.assert(
      fc.property(town, (rows) => {
        const { cells, active } = groupFigures(rows, [...areas, null], 5);
        expect(leaks(cells, active)).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it('without the shared pass, the same answers would give a withheld count away', () => {
    // Norrby sspf: 1 open and 3 active, the overview's 4 shown. Suppressed on its own (as before),
    // groups withholds the 1 and shows the 3 (the sum over areas shows it anyway): 4 − 3 = 1.
    const rows: GroupRow[] = [
      { area: 'Norrby', type: 'sspf', status: 'open', n: 1 },
      { area: 'Norrby', type: 'sspf', status: 'active', n: 3 },
    ];
    const cells = rows.map((r) => ({ key: [r.area, r.type, r.status], count: r.n }));
    const alone = suppressSmallCells(
      cells,
      3,
      marginalTotals(
        cells.map((c) => c.key),
        [0],
      ),
    );
    const bypassed = rows.map((r, i) => ({ ...r, count: alone.reasons[i] ? null : r.n, suppressed: alone.reasons[i] !== null }));
    const overviewAlone = activeCasesTable([...AREAS], rows, 3);
    expect(overviewAlone.rows[0]!.cells[0]).toBe(4);
    expect(leaks(bypassed, overviewAlone)).toHaveLength(1);
    const { groups, overview } = answers(rows, 3);
    expect(leaks(groups, overview)).toEqual([]);
    // Together: the overview withholds Norrby's 4 (and what protects it), groups the 1.
    expect(groups.map((c) => c.count)).toEqual([null, 3]);
    expect(overview.rows[0]!.cells[0]).toBeNull();
  });
});
