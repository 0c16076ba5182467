import { IntlMessageFormat } from 'intl-messageformat';
import svCore from '../../../messages/sv.json';
import svAgenda from '../../../messages/sv.agenda.json';
import enAgenda from '../../../messages/en.agenda.json';
import enCore from '../../../messages/en.json';
import svCases from '../../../messages/sv.cases.json';
import enCases from '../../../messages/en.cases.json';
import svConsents from '../../../messages/sv.consents.json';
import enConsents from '../../../messages/en.consents.json';
import svAudit from '../../../messages/sv.audit.json';
import enAudit from '../../../messages/en.audit.json';
import svDocuments from '../../../messages/sv.documents.json';
import enDocuments from '../../../messages/en.documents.json';
import svMeetings from '../../../messages/sv.meetings.json';
import enMeetings from '../../../messages/en.meetings.json';
import svNetwork from '../../../messages/sv.network.json';
import enNetwork from '../../../messages/en.network.json';
import svAdmin from '../../../messages/sv.admin.json';
import enAdmin from '../../../messages/en.admin.json';
import svAccount from '../../../messages/sv.account.json';
import enAccount from '../../../messages/en.account.json';
import svSignin from '../../../messages/sv.signin.json';
import enSignin from '../../../messages/en.signin.json';
import svAreas from '../../../messages/sv.areas.json';
import enAreas from '../../../messages/en.areas.json';
import svRetention from '../../../messages/sv.retention.json';
import enRetention from '../../../messages/en.retention.json';
import svConcerns from '../../../messages/sv.concerns.json';
import enConcerns from '../../../messages/en.concerns.json';
import svStats from '../../../messages/sv.stats.json';
import enStats from '../../../messages/en.stats.json';
import svConsentRequests from '../../../messages/sv.consent-requests.json';
import enConsentRequests from '../../../messages/en.consent-requests.json';
import svCitizen from '../../../messages/sv.citizen.json';
import enCitizen from '../../../messages/en.citizen.json';
import arCore from '../../../messages/ar.json';
import arCitizen from '../../../messages/ar.citizen.json';

// One catalogue per area of the app (core, cases, consents, audit, documents, meetings, admin,
// the user's own account, sign-in, the citizen's own view), merged per locale.
const sv = {
	...svCore,
	...svAgenda,
	...svCases,
	...svConsents,
	...svConsentRequests,
	...svAudit,
	...svDocuments,
	...svMeetings,
	...svNetwork,
	...svAdmin,
	...svAccount,
	...svSignin,
	...svAreas,
	...svConcerns,
	...svStats,
	...svRetention,
	...svCitizen
};
const en = {
	...enCore,
	...enAgenda,
	...enCases,
	...enConsents,
	...enConsentRequests,
	...enAudit,
	...enDocuments,
	...enMeetings,
	...enNetwork,
	...enAdmin,
	...enAccount,
	...enSignin,
	...enAreas,
	...enConcerns,
	...enStats,
	...enRetention,
	...enCitizen
};

/** Swedish is the default and the source of the key set: a key missing in sv.json is a type error. */
export type MessageKey = keyof typeof sv;
export type MessageParams = Record<string, string | number>;

export const locales = ['sv', 'en', 'ar'] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = 'sv';

/** Staff pages are in Swedish and English; Arabic is offered on the citizen's pages only. */
export const staffLocales = ['sv', 'en'] as const satisfies readonly Locale[];
export type StaffLocale = (typeof staffLocales)[number];

// Typed against sv.json, so en.json must define every key too. Arabic covers the citizen area and
// the core strings its pages show (`arabicScope`); anything else falls back to Swedish.
const ar: Partial<Record<MessageKey, string>> = { ...arCore, ...arCitizen };
const catalogs: { sv: Record<MessageKey, string>; en: Record<MessageKey, string>; ar: Partial<Record<MessageKey, string>> } = {
	sv,
	en,
	ar
};

/** Keys every Arabic page needs: the citizen area, and the core strings around it (the skip link). */
export function inArabicScope(key: string): boolean {
	return key.startsWith('citizen.') || Object.hasOwn(arCore, key);
}

export function isLocale(value: unknown): value is Locale {
	return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

export function isStaffLocale(value: unknown): value is StaffLocale {
	return typeof value === 'string' && (staffLocales as readonly string[]).includes(value);
}

/** The writing direction of a locale, for `<html dir>`. */
export function textDirection(locale: Locale): 'ltr' | 'rtl' {
	return locale === 'ar' ? 'rtl' : 'ltr';
}

export function isMessageKey(value: string): value is MessageKey {
	return Object.hasOwn(sv, value);
}

// Messages are ICU MessageFormat (`{count, plural, one {# dag} other {# dagar}}`); each is parsed
// once per locale and key, with the names of its arguments. `<` is plain text, not a tag.
interface Compiled {
	format: IntlMessageFormat;
	args: readonly string[];
}
const compiled = new Map<string, Compiled>();

type Element = ReturnType<IntlMessageFormat['getAst']>[number];

/** The names of the arguments in a parsed message, nested ones (inside plural and select) too. */
function argumentNames(elements: readonly Element[], into = new Set<string>()): Set<string> {
	for (const el of elements) {
		// Parser kinds 1–6: argument, number, date, time, select, plural.
		if (el.type >= 1 && el.type <= 6 && 'value' in el) into.add(String(el.value));
		if ('options' in el) for (const option of Object.values(el.options)) argumentNames(option.value, into);
		if ('children' in el) argumentNames(el.children, into);
	}
	return into;
}

/** The parsed message for `key` in `locale` (falling back to Swedish, then to the key itself). */
export function compileMessage(locale: Locale, key: MessageKey): IntlMessageFormat {
	return compiledMessage(locale, key).format;
}

function compiledMessage(locale: Locale, key: MessageKey): Compiled {
	const id = `${locale}:${key}`;
	let c = compiled.get(id);
	if (!c) {
		const template = catalogs[locale][key] ?? catalogs[defaultLocale][key] ?? key;
		const format = new IntlMessageFormat(template, locale, undefined, { ignoreTag: true });
		c = { format, args: [...argumentNames(format.getAst())] };
		compiled.set(id, c);
	}
	return c;
}

/**
 * Formats the ICU message `key` in `locale` with `params`. An argument not given stays visible
 * as `{name}` rather than being replaced by made-up text; a `select` on it takes its `other` case.
 */
export function translate(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
	const { format, args } = compiledMessage(locale, key);
	const values: MessageParams = { ...params };
	for (const name of args) if (!Object.hasOwn(values, name)) values[name] = `{${name}}`;
	try {
		const text = format.format(values);
		if (typeof text === 'string') return text;
	} catch {
		// A value of the wrong kind (text for a plural): fall through to the message as written.
	}
	return catalogs[locale][key] ?? catalogs[defaultLocale][key] ?? key;
}

/** "90 seconds", "2 minutes": waits are shown in whole minutes from one minute up, rounded up. */
export function formatWait(locale: Locale, seconds: number | null): string {
	if (seconds === null || !Number.isFinite(seconds) || seconds <= 0) return translate(locale, 'time.aWhile');
	if (seconds < 60) return translate(locale, 'time.seconds', { count: Math.ceil(seconds) });
	return translate(locale, 'time.minutes', { count: Math.ceil(seconds / 60) });
}

export const messageCatalogs: Readonly<{
	sv: Readonly<Record<MessageKey, string>>;
	en: Readonly<Record<MessageKey, string>>;
	ar: Readonly<Partial<Record<MessageKey, string>>>;
}> = catalogs;
