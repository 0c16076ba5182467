/**
 * Which words fit the person a case is about. Pages, forms and printouts speak of "den unge" /
 * "the young person" and of guardians only for someone under 18; for an adult (most avhoppare
 * cases) they say "personen" / "the person". Messages choose with ICU `select` on the argument
 * `person` (`{person, select, young {den unge} other {personen}}`), so an unknown age gets the
 * neutral words.
 */
export type PersonWords = 'young' | 'adult';

/** Swedish age of majority (föräldrabalken 9 kap. 1 §): guardians decide for a person under it. */
export const ADULT_AGE = 18;

/** Today's date on the Stockholm calendar (`YYYY-MM-DD`), the calendar the API counts ages on. */
export const stockholmDate = (now: Date): string =>
	new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Age in whole years on `today`, as the API counts it (backend/src/modules/consents/calendar.ts):
 * someone born on 29 February has their birthday on 28 February in years that are not leap years.
 */
export function ageOn(birthDate: string, today: string): number {
	const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
	const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
	const hadBirthday = tm > bm || (tm === bm && td >= Math.min(bd, daysIn(ty, bm)));
	return ty - by - (hadBirthday ? 0 : 1);
}

/** `young` for a person known to be under 18; `adult` for an adult or when the birth date is unknown. */
export function personWords(birthDate: string | null | undefined, now: Date = new Date()): PersonWords {
	return birthDate && ageOn(birthDate, stockholmDate(now)) < ADULT_AGE ? 'young' : 'adult';
}
