import { currentLocale } from '$lib/i18n';

/** Meeting times as people in the municipality read them: Swedish time. */
const timeZone = 'Europe/Stockholm';

const parts = (iso: string) =>
	Object.fromEntries(
		new Intl.DateTimeFormat('en-US', {
			timeZone,
			hourCycle: 'h23',
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit'
		})
			.formatToParts(new Date(iso))
			.map((p) => [p.type, p.value])
	);

/** An instant as the date and the `HH:MM` of Swedish time (to fill in a form). */
export function stockholmParts(iso: string): { date: string; time: string } {
	const p = parts(iso);
	return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

/** "09:00–10:30" in Swedish time; null for a meeting recorded with a date only. */
export function timeRange(startsAt: string | null, endsAt: string | null): string | null {
	if (!startsAt || !endsAt) return null;
	const f = new Intl.DateTimeFormat(currentLocale() === 'sv' ? 'sv-SE' : 'en-GB', { timeZone, hour: '2-digit', minute: '2-digit' });
	return `${f.format(new Date(startsAt))}–${f.format(new Date(endsAt))}`;
}

/** Field errors keyed by the ids a form with this prefix gives its fields (for the error summary's links). */
export function prefixed<T>(fieldErrors: Record<string, T>, prefix: string): Record<string, T> {
	return Object.fromEntries(Object.entries(fieldErrors).map(([k, v]) => [`${prefix}-${k}`, v]));
}
