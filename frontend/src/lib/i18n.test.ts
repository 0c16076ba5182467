import { describe, expect, it } from 'vitest';
import { IntlMessageFormat } from 'intl-messageformat';
import { compileMessage, formatWait, inArabicScope, messageCatalogs, textDirection, translate, type MessageKey } from './i18n/messages';

const { sv, en, ar } = messageCatalogs;

describe('message files', () => {
	it('sv and en define exactly the same keys', () => {
		expect(Object.keys(en).sort()).toEqual(Object.keys(sv).sort());
	});

	it('ar defines exactly the citizen area and the core strings its pages show', () => {
		expect(Object.keys(sv).filter((key) => key.startsWith('citizen.')).length).toBeGreaterThan(0);
		expect(Object.keys(ar).sort()).toEqual(Object.keys(sv).filter(inArabicScope).sort());
	});

	it.each([
		['sv', sv],
		['en', en],
		['ar', ar]
	] as const)('%s has no empty or non-string values', (_locale, messages) => {
		const bad = Object.entries(messages).filter(([, v]) => typeof v !== 'string' || v.trim() === '');
		expect(bad).toEqual([]);
	});

	it('are all valid ICU messages', () => {
		const broken: string[] = [];
		for (const [locale, messages] of [['sv', sv] as const, ['en', en] as const, ['ar', ar] as const]) {
			for (const [key, text] of Object.entries(messages)) {
				try {
					new IntlMessageFormat(text, locale, undefined, { ignoreTag: true });
				} catch (e) {
					broken.push(`${locale} ${key}: ${(e as Error).message}`);
				}
			}
		}
		expect(broken).toEqual([]);
	});

	it('use the same arguments, of the same kind, in every language', () => {
		const mismatched = (Object.keys(sv) as MessageKey[]).filter(
			(key) => argumentsOf(sv[key], 'sv').join() !== argumentsOf(en[key] ?? '', 'en').join()
		);
		expect(mismatched).toEqual([]);
		const mismatchedAr = (Object.keys(ar) as MessageKey[]).filter(
			(key) => argumentsOf(sv[key], 'sv').join() !== argumentsOf(ar[key] ?? '', 'ar').join()
		);
		expect(mismatchedAr).toEqual([]);
	});
});

type Element = ReturnType<IntlMessageFormat['getAst']>[number];

/** `name:kind` of every argument in an ICU message, nested ones (inside plural and select) too. */
function argumentsOf(text: string, locale: string): string[] {
	const found = new Set<string>();
	const walk = (elements: readonly Element[]) => {
		for (const el of elements) {
			// Kinds of the ICU parser: 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural.
			if (el.type >= 1 && el.type <= 6 && 'value' in el) found.add(`${String(el.value)}:${el.type}`);
			if ('options' in el) for (const option of Object.values(el.options)) walk(option.value);
			if ('children' in el) walk(el.children);
		}
	};
	walk(new IntlMessageFormat(text, locale, undefined, { ignoreTag: true }).getAst());
	return [...found].sort();
}

describe('translate', () => {
	it('fills in placeholders', () => {
		expect(translate('sv', 'start.welcome', { name: 'Sara' })).toBe('Välkommen, Sara!');
		expect(translate('en', 'start.welcome', { name: 'Sara' })).toBe('Welcome, Sara!');
	});

	it('leaves unknown placeholders visible rather than inventing text', () => {
		expect(translate('sv', 'start.welcome')).toBe('Välkommen, {name}!');
	});

	it('chooses the plural form by the count, per language', () => {
		expect(translate('sv', 'agenda.unread', { count: 1 })).toBe('1 ny anteckning');
		expect(translate('sv', 'agenda.unread', { count: 3 })).toBe('3 nya anteckningar');
		expect(translate('en', 'agenda.unread', { count: 1 })).toBe('1 new entry');
		expect(translate('en', 'agenda.unread', { count: 0 })).toBe('0 new entries');
		expect(translate('sv', 'cases.list.count', { count: 1 })).toBe('1 ärende');
		expect(translate('sv', 'consents.start.daysLeft', { count: 2 })).toBe('om 2 dagar');
	});

	it('keeps the other arguments of a plural message', () => {
		expect(translate('sv', 'consents.withheld.entries', { count: 1, category: 'Skola', reason: 'inget samtycke' })).toBe(
			'1 anteckning i kategorin Skola visas inte: inget samtycke.'
		);
	});

	it("chooses the person's words by age, the neutral ones when the age is not given", () => {
		expect(translate('sv', 'cases.overview.subject', { person: 'young' })).toBe('Den unge');
		expect(translate('sv', 'cases.overview.subject', { person: 'adult' })).toBe('Personen');
		expect(translate('en', 'cases.overview.subject')).toBe('The person');
		expect(translate('sv', 'consents.party.subjectNamed', { name: 'Kim Ek', person: 'adult' })).toBe('Kim Ek (personen själv)');
	});

	it('shows quoted braces as text', () => {
		expect(translate('sv', 'consents.verify.error.receiptInvalid')).toContain('från { till }');
	});

	it('parses each message once per language', () => {
		expect(compileMessage('sv', 'agenda.unread')).toBe(compileMessage('sv', 'agenda.unread'));
		expect(compileMessage('en', 'agenda.unread')).not.toBe(compileMessage('sv', 'agenda.unread'));
	});

	it('writes Arabic right to left, with Arabic plural forms, and the rest left to right', () => {
		expect(textDirection('ar')).toBe('rtl');
		expect(textDirection('sv')).toBe('ltr');
		expect(textDirection('en')).toBe('ltr');
		expect(translate('ar', 'citizen.overview.child', { name: 'Sara', age: 2 })).toBe('Sara، سنتان');
		expect(translate('ar', 'citizen.overview.child', { name: 'Sara', age: 14 })).toBe('Sara، 14 سنة');
		expect(translate('sv', 'citizen.overview.child', { name: 'Sara', age: 14 })).toBe('Sara, 14 år');
	});

	it('falls back to Swedish for a staff string that has no Arabic', () => {
		expect(translate('ar', 'start.welcome', { name: 'Sara' })).toBe('Välkommen, Sara!');
	});

	it('formats throttling waits in whole seconds or minutes, rounded up', () => {
		expect(formatWait('sv', 1)).toBe('1 sekund');
		expect(formatWait('sv', 45)).toBe('45 sekunder');
		expect(formatWait('sv', 60)).toBe('1 minut');
		expect(formatWait('en', 61)).toBe('2 minutes');
		expect(formatWait('sv', null)).toBe('en stund');
	});
});

describe('message files per area', () => {
	it('never define the same key twice (a later file would silently win)', async () => {
		const fs = await import('node:fs');
		const path = await import('node:path');
		const dir = path.resolve(import.meta.dirname, '../../messages');
		for (const locale of ['sv', 'en', 'ar']) {
			const seen = new Map<string, string>();
			const dupes: string[] = [];
			for (const file of fs.readdirSync(dir).filter((f) => f.startsWith(`${locale}.`) && f.endsWith('.json'))) {
				for (const key of Object.keys(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')))) {
					if (seen.has(key)) dupes.push(`${key} (${seen.get(key)}, ${file})`);
					seen.set(key, file);
				}
			}
			expect(dupes, locale).toEqual([]);
		}
	});
});
