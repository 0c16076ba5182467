/**
 * A case number as someone types it: prefix, year and serial, in any letter case, with or without
 * the dashes (or with spaces), the serial with or without its leading zeros.
 */
const TYPED = /^(sspf|avh)[\s-]*(\d{4})[\s-]*(\d{1,7})$/i;

/** The canonical case number (`SSPF-2026-0042`, as the database formats it) of a search term that is one, else null. */
export function parseCaseNumber(q: string): string | null {
  const m = TYPED.exec(q.trim());
  if (!m) return null;
  return `${m[1]!.toUpperCase()}-${m[2]}-${String(Number(m[3])).padStart(4, '0')}`;
}
