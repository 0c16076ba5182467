/** The answer-by date of a consent request, on the municipality's calendar (pure; tested beside). */

/**
 * The end of `date` (YYYY-MM-DD) in Europe/Stockholm as an instant: "answer by 12 March" means
 * until that day is over where the municipality is, summer time or not.
 */
export function endOfStockholmDay(date: string): string {
	const noonUtc = new Date(`${date}T12:00:00Z`);
	const offset = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Stockholm', timeZoneName: 'longOffset' })
		.formatToParts(noonUtc)
		.find((p) => p.type === 'timeZoneName')!
		.value.replace('GMT', '');
	return new Date(`${date}T23:59:59${offset || '+00:00'}`).toISOString();
}

/** `date` (YYYY-MM-DD) plus `days` calendar days. */
export const addDays = (date: string, days: number) =>
	new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
