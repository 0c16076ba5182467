import { currentLocale } from '$lib/i18n';

/** A timestamp from the API as the reader expects it, in Swedish time. */
export function formatDateTime(iso: string): string {
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return '';
	return new Intl.DateTimeFormat(currentLocale() === 'sv' ? 'sv-SE' : 'en-GB', {
		dateStyle: 'medium',
		timeStyle: 'short',
		timeZone: 'Europe/Stockholm'
	}).format(d);
}
