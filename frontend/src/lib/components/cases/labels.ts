import { currentLocale, isMessageKey, t } from '$lib/i18n';

/** A code from the API (status, life area, category …) in the current locale; unknown codes as they are. */
function label(prefix: string, code: string | null | undefined): string {
	if (!code) return '';
	const key = `${prefix}.${code}`;
	return isMessageKey(key) ? t(key) : code;
}

export const statusLabel = (code: string) => label('cases.status', code);
export const typeLabel = (code: string) => label('cases.type', code);
export const phaseLabel = (code: string | null) => label('cases.phase', code);
export const lifeAreaLabel = (code: string) => label('cases.lifeArea', code);
export const categoryLabel = (code: string) => label('cases.category', code);
export const planStatusLabel = (code: string) => label('cases.planStatus', code);
export const protectedIdentityLabel = (code: string) => label('cases.protectedIdentity', code);

const timeZone = 'Europe/Stockholm';
const intlLocale = () => (currentLocale() === 'sv' ? 'sv-SE' : 'en-GB');

/** `2026-11-27` as "27 nov. 2026". */
export function formatDate(isoDate: string | null | undefined): string {
	if (!isoDate) return '';
	const date = new Date(`${isoDate.slice(0, 10)}T12:00:00Z`);
	return new Intl.DateTimeFormat(intlLocale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

/** A timestamp in Swedish time, to the minute. */
export function formatDateTime(iso: string | null | undefined): string {
	if (!iso) return '';
	return new Intl.DateTimeFormat(intlLocale(), { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(iso));
}
