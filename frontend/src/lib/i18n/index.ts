import { page } from '$app/state';
import {
	defaultLocale,
	formatWait,
	isLocale,
	isMessageKey,
	isStaffLocale,
	translate,
	type Locale,
	type MessageKey,
	type MessageParams,
	type StaffLocale
} from './messages';

export { defaultLocale, isLocale, isMessageKey, locales, translate } from './messages';
export type { Locale, MessageKey, MessageParams } from './messages';

/** The locale of the page being rendered (set by the root layout from the `lang` cookie). */
export function currentLocale(): Locale {
	const locale: unknown = page.data.locale;
	return isLocale(locale) ? locale : defaultLocale;
}

/** The locale of a staff page: Arabic belongs to the citizen's pages, so a staff page reads it as Swedish. */
export function currentStaffLocale(): StaffLocale {
	const locale = currentLocale();
	return isStaffLocale(locale) ? locale : 'sv';
}

/**
 * Translates `key` into the current page's locale. Call it while rendering a component (in the
 * template or a `$derived`): on the server the locale comes from the request being rendered.
 */
export function t(key: MessageKey, params?: MessageParams): string {
	return translate(currentLocale(), key, params);
}

/** A role name from the API (`social_worker` …) in the current locale; unknown roles as they are. */
export function roleLabel(role: string): string {
	const key = `role.${role}`;
	return isMessageKey(key) ? t(key) : role;
}

export function agencyKindLabel(kind: string): string {
	const key = `agencyKind.${kind}`;
	return isMessageKey(key) ? t(key) : kind;
}

export function waitLabel(seconds: number | null): string {
	return formatWait(currentLocale(), seconds);
}

/** "Start – Samverka" */
export function pageTitle(key: MessageKey): string {
	return t('meta.title', { page: t(key) });
}
