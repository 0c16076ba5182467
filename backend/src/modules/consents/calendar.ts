/**
 * Calendar days as the municipality counts them: ISO dates (`YYYY-MM-DD`) on the
 * Europe/Stockholm calendar. Plain strings compare correctly with `<` and `>`.
 */

const STOCKHOLM = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit' });
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const HOUR_MS = 3_600_000;
/** 2000-01-01T00:00Z: since long before this, Stockholm's offset from UTC has been a whole number of hours. */
const WHOLE_HOUR_OFFSETS_FROM = Date.UTC(2000, 0, 1);
let cachedHour = Number.NaN;
let cachedDate = '';

/**
 * The Europe/Stockholm calendar date of an instant. The local date can only change on a whole UTC
 * hour (Stockholm is UTC+1 or UTC+2), so the last answer is reused within the same UTC hour:
 * formatToParts costs far more than the request paths that ask for today's date should pay.
 */
export function stockholmDate(at: Date): string {
  const ms = at.getTime();
  const hour = Math.floor(ms / HOUR_MS);
  if (hour === cachedHour) return cachedDate;
  let y = '';
  let m = '';
  let d = '';
  for (const p of STOCKHOLM.formatToParts(at)) {
    if (p.type === 'year') y = p.value;
    else if (p.type === 'month') m = p.value;
    else if (p.type === 'day') d = p.value;
  }
  const date = `${y}-${m}-${d}`;
  if (ms >= WHOLE_HOUR_OFFSETS_FROM) {
    cachedHour = hour;
    cachedDate = date;
  }
  return date;
}

function parts(date: string): [number, number, number] {
  const m = ISO_DATE.exec(date);
  if (!m) throw new RangeError('not an ISO date');
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number): number => (m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);

/** Whether `date` is a real calendar date in ISO form. */
export function isIsoDate(date: string): boolean {
  const m = ISO_DATE.exec(date);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo);
}

/**
 * `months` calendar months after `date`; when that month is shorter, its last day (so 31 January
 * + 1 month is 28/29 February), as Swedish law counts periods of months and years.
 */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = parts(date);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  return `${pad(ny, 4)}-${pad(nm)}-${pad(Math.min(d, daysIn(ny, nm)))}`;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = parts(date);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * Age in whole years on `today`. Someone born on 29 February has their birthday on 28 February
 * in years that are not leap years (the same rule as `addMonths`).
 */
export function ageOn(birthDate: string, today: string): number {
  const [by, bm, bd] = parts(birthDate);
  const [ty, tm, td] = parts(today);
  const birthdayDay = Math.min(bd, daysIn(ty, bm));
  const hadBirthday = tm > bm || (tm === bm && td >= birthdayDay);
  return ty - by - (hadBirthday ? 0 : 1);
}
