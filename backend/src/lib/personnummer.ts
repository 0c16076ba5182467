import { ageOn as calendarAgeOn, stockholmDate } from '../modules/consents/calendar.js';

/**
 * Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer,
 * day of month + 60). Pure: no I/O, `today` only decides the century of the short forms.
 * Days are Europe/Stockholm calendar days (modules/consents/calendar.ts), the same calendar the
 * consent gate counts ages on: one age rule for the whole service.
 *
 * Accepted forms: `YYYYMMDD-NNNC`, `YYYYMMDDNNNC`, `YYMMDD-NNNC`, `YYMMDDNNNC`, and `+` instead of
 * `-` for a person aged 100 or more. In the long forms the century is given and the separator
 * carries no meaning. The check digit C is the Luhn digit over the 10-digit form; the birth
 * number NNN = 000 is never issued.
 */
export interface PersonalIdentityNumber {
  /** 12 digits, `YYYYMMDDNNNC`. */
  normalized: string;
  /** `YYYY-MM-DD`, with the coordination number's +60 removed. */
  birthDate: string;
  coordinationNumber: boolean;
}

const FORM = /^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$/;

function luhnValid(tenDigits: string): boolean {
  let sum = 0;
  for (let i = 0; i < tenDigits.length; i++) {
    let d = tenDigits.charCodeAt(i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= last;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export function parsePersonalIdentityNumber(input: string, today: Date = new Date()): PersonalIdentityNumber | null {
  if (typeof input !== 'string') return null;
  const m = FORM.exec(input.trim());
  if (!m) return null;
  const [, century, yy, mm, dd, sep, serial, check] = m as unknown as [
    string,
    string | undefined,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const twoDigitYear = Number(yy);
  const month = Number(mm);
  let day = Number(dd);
  const coordinationNumber = day > 60;
  if (coordinationNumber) day -= 60;
  let year: number;
  if (century !== undefined) {
    year = Number(century) * 100 + twoDigitYear;
  } else {
    // The latest birth date with these digits that is not after today (Stockholm) — `-`: under
    // 100 years old — or, with `+`, not after the day 100 years ago: 100 or older.
    const now = stockholmDate(today);
    const base = Number(now.slice(0, 4)) - (sep === '+' ? 100 : 0);
    year = base - ((((base - twoDigitYear) % 100) + 100) % 100);
    if (year === base && `${mm}-${pad(day, 2)}` > now.slice(5)) year -= 100;
  }
  if (!isRealDate(year, month, day)) return null;
  if (serial === '000') return null;
  const ten = `${yy}${mm}${dd}${serial}${check}`;
  if (!luhnValid(ten)) return null;
  return {
    normalized: `${pad(year, 4)}${mm}${dd}${serial}${check}`,
    birthDate: `${pad(year, 4)}-${mm}-${pad(day, 2)}`,
    coordinationNumber,
  };
}

/** The Europe/Stockholm calendar date of an instant (`YYYY-MM-DD`), for comparing with a derived birth date. */
export const isoDate = (d: Date): string => stockholmDate(d);

/**
 * Age in whole years on `today` (an instant, counted on its Stockholm date, or an ISO date): the
 * consent gate's rule, so one birthday counts the same everywhere — someone born on 29 February
 * turns a year older on 28 February in years that are not leap years.
 */
export function ageOn(birthDate: string, today: Date | string = new Date()): number {
  return calendarAgeOn(birthDate, typeof today === 'string' ? today : stockholmDate(today));
}
