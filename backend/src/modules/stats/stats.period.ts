import { badRequest } from '../../lib/problem.js';

/** The longest period the figures cover: longer asks are refused rather than slowly answered. */
export const MAX_YEARS = 5;

export interface Period {
  /** First and last day, inclusive (`YYYY-MM-DD`, Swedish time). */
  readonly from: string;
  readonly to: string;
  /** Every month the period touches, `YYYY-MM`, oldest first. */
  readonly months: readonly string[];
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Today's date in Sweden, where the municipality's months begin and end. */
export function swedishToday(now = new Date()): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(now);
}

function parseDate(value: string, field: 'from' | 'to'): Date {
  const m = DATE.exec(value);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !d || d.toISOString().slice(0, 10) !== value) {
    throw badRequest(`\`${field}\` is not a date: write it as YYYY-MM-DD, for example 2026-01-31.`, 'invalid_date');
  }
  return d;
}

const iso = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * The period asked for; without `to`, up to today; without `from`, the twelve months that end
 * with `to`'s month.
 */
export function parsePeriod(query: { from?: string; to?: string }, today: string): Period {
  const to = parseDate(query.to ?? today, 'to');
  const from = query.from ? parseDate(query.from, 'from') : new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 11, 1));
  if (from > to) throw badRequest('`from` is after `to`: choose a start date on or before the end date.', 'period_reversed');
  const limit = new Date(Date.UTC(from.getUTCFullYear() + MAX_YEARS, from.getUTCMonth(), from.getUTCDate()));
  if (to >= limit) {
    throw badRequest(`The period is longer than ${MAX_YEARS} years: choose a shorter one.`, 'period_too_long');
  }
  const months: string[] = [];
  const monthIndex = (d: Date): number => d.getUTCFullYear() * 12 + d.getUTCMonth();
  for (let k = monthIndex(from); k <= monthIndex(to); k++) months.push(`${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`);
  return { from: iso(from), to: iso(to), months };
}
