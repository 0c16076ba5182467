import { csvCell } from '../audit/audit.service.js';
import type { Overview } from './stats.service.js';

/** Excel reads UTF-8 (å, ä, ö) only after a byte order mark, and splits on `;` in Swedish settings. */
const BOM = '\uFEFF';
const SEP = ';';
const WITHHELD = '–';
const PROTECTED = '(protected identity)';

type Table = Overview['newCases'];

const line = (cells: (string | number | null)[]): string => cells.map((c) => csvCell(c)).join(SEP);
const count = (n: number | null): string | number => (n === null ? WITHHELD : n);

/** One table as a block: a header, a line per row, the column totals; the dimensions the rows carry. */
function block(name: string, t: Table, dims: ('area' | 'type' | 'code')[]): string[] {
  const label = (v: string | null | undefined, dim: string): string => (dim === 'area' && v === null ? PROTECTED : (v ?? ''));
  return [
    line([name, ...dims, ...t.columns, 'total']),
    ...t.rows.map((r) => line(['', ...dims.map((d) => label(r[d], d)), ...r.cells.map(count), count(r.total)])),
    line(['', 'total', ...dims.slice(1).map(() => ''), ...t.columnTotals.map(count), count(t.total)]),
    '',
  ];
}

/** The same figures as the JSON answer, suppressed alike, with no ids: for spreadsheets. */
export function overviewCsv(o: Overview): string {
  const lines = [
    line(['Samverka group-level figures', 'from', o.from, 'to', o.to, 'min cell size', o.minCellSize]),
    line([`${WITHHELD}: withheld (fewer than ${o.minCellSize}, or so that a withheld count cannot be worked out from the totals)`]),
    line([`${PROTECTED}: people with protected identity, never counted under an area`]),
    '',
    ...block('new_cases', o.newCases, ['area', 'type']),
    ...block('closed_cases', o.closedCases, ['area', 'type']),
    ...block('active_cases_at_end', o.activeCases, ['area']),
    ...block('outcomes_of_closed_cases', o.outcomes, ['code']),
    ...block('concerns_by_triage', o.concerns, ['area']),
    line(['median_days', 'median', 'count']),
    line(['concern_to_case', count(o.medians.concernToCase.days), count(o.medians.concernToCase.count)]),
    line(['case_to_first_plan_item', count(o.medians.caseToFirstPlan.days), count(o.medians.caseToFirstPlan.count)]),
  ];
  return BOM + lines.join('\r\n') + '\r\n';
}
