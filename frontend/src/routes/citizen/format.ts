import { currentLocale, isMessageKey, t } from '$lib/i18n';

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** A calendar date (`2026-12-05`) or a timestamp, as the day in Sweden, in the page's language. */
export function formatDay(value: string | null | undefined): string {
	if (!value) return '';
	const locale = currentLocale();
	let format = dateFormats.get(locale);
	if (!format) {
		format = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Stockholm' });
		dateFormats.set(locale, format);
	}
	// A bare date is that day: noon UTC is the same day in Stockholm.
	const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T12:00:00Z` : value);
	return Number.isNaN(date.getTime()) ? value : format.format(date);
}

/** A category in plain words for the person; the policy's own label when there is no plain one. */
export function categoryName(code: string, label: string): string {
	const key = `citizen.category.${code}`;
	return isMessageKey(key) ? t(key) : label;
}

/** "School, Police" in the page's language. */
export function listOf(items: string[]): string {
	return new Intl.ListFormat(currentLocale(), { style: 'long', type: 'conjunction' }).format(items);
}
