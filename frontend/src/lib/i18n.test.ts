import { describe, expect, it } from 'vitest';
import { formatWait, messageCatalogs, translate } from './i18n/messages';

const { sv, en } = messageCatalogs;

describe('message files', () => {
	it('sv and en define exactly the same keys', () => {
		expect(Object.keys(en).sort()).toEqual(Object.keys(sv).sort());
	});

	it.each([
		['sv', sv],
		['en', en]
	] as const)('%s has no empty or non-string values', (_locale, messages) => {
		const bad = Object.entries(messages).filter(([, v]) => typeof v !== 'string' || v.trim() === '');
		expect(bad).toEqual([]);
	});

	it('uses the same placeholders in both languages', () => {
		const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
		const mismatched = Object.keys(sv).filter((key) => {
			const k = key as keyof typeof sv;
			return placeholders(sv[k]).join() !== placeholders(en[k] ?? '').join();
		});
		expect(mismatched).toEqual([]);
	});
});

describe('translate', () => {
	it('fills in placeholders', () => {
		expect(translate('sv', 'start.welcome', { name: 'Sara' })).toBe('Välkommen, Sara!');
		expect(translate('en', 'start.welcome', { name: 'Sara' })).toBe('Welcome, Sara!');
	});

	it('leaves unknown placeholders visible rather than inventing text', () => {
		expect(translate('sv', 'start.welcome')).toBe('Välkommen, {name}!');
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
		for (const locale of ['sv', 'en']) {
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
