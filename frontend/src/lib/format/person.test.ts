import { describe, expect, it } from 'vitest';
import { ageOn, personWords, stockholmDate } from './person';

describe('ageOn', () => {
	it('counts whole years, the birthday itself included', () => {
		expect(ageOn('2008-12-05', '2026-12-04')).toBe(17);
		expect(ageOn('2008-12-05', '2026-12-05')).toBe(18);
	});

	it('gives someone born on 29 February their birthday on 28 February in other years', () => {
		expect(ageOn('2008-02-29', '2026-02-27')).toBe(17);
		expect(ageOn('2008-02-29', '2026-02-28')).toBe(18);
	});
});

describe('personWords', () => {
	it('uses the young person words under 18 and the adult words from the 18th birthday', () => {
		const now = new Date('2026-12-05T10:00:00Z');
		expect(personWords('2008-12-06', now)).toBe('young');
		expect(personWords('2008-12-05', now)).toBe('adult');
		expect(personWords('1990-01-01', now)).toBe('adult');
	});

	it('counts the day on the Stockholm calendar', () => {
		// 23:30 UTC on 4 December is already 5 December in Stockholm.
		const lateEvening = new Date('2026-12-04T23:30:00Z');
		expect(stockholmDate(lateEvening)).toBe('2026-12-05');
		expect(personWords('2008-12-05', lateEvening)).toBe('adult');
	});

	it('uses the neutral words when the birth date is unknown', () => {
		expect(personWords(null)).toBe('adult');
	});
});
