import { currentLocale, isMessageKey, t } from '$lib/i18n';

/**
 * Display helpers for the auditor's pages. Times are shown in the time zone the audit API
 * judges by (office hours, day buckets), whatever the server's own zone is.
 */

const localeTag = () => (currentLocale() === 'sv' ? 'sv-SE' : 'en-GB');

export function formatDateTime(iso: string, timeZone: string, seconds = true): string {
	return new Intl.DateTimeFormat(localeTag(), {
		timeZone,
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		...(seconds ? { second: '2-digit' } : {})
	}).format(new Date(iso));
}

export function formatDate(iso: string, timeZone: string): string {
	return new Intl.DateTimeFormat(localeTag(), { timeZone, year: 'numeric', month: 'short', day: 'numeric' }).format(new Date(iso));
}

export function formatNumber(n: number): string {
	return new Intl.NumberFormat(localeTag()).format(n);
}

/** The first block of a UUID: enough to tell ids apart on screen; links carry the whole id. */
export function shortId(id: string): string {
	return id.slice(0, 8);
}

/** "Läste ärende" for `case.read`; unknown codes as they are. */
export function actionLabel(action: string): string | null {
	const key = `audit.action.${action}`;
	return isMessageKey(key) ? t(key) : null;
}

export function outcomeLabel(outcome: string): string {
	const key = `audit.outcome.${outcome}`;
	return isMessageKey(key) ? t(key) : outcome;
}
