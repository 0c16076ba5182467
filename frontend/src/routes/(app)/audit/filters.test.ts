import { describe, expect, it } from 'vitest';
import { filterQuery, overviewPeriod, parseFilter, periodBound } from './filters';

const TZ = 'Europe/Stockholm';
const ID = '4f9c2a1e-8b7d-4c3a-9e2f-1a2b3c4d5e6f';

describe('parseFilter', () => {
	it('turns URL values into the API filter, dates as whole local days', () => {
		const parsed = parseFilter(
			new URLSearchParams({ subjectId: ID.toUpperCase(), outcome: 'denied', from: '2026-11-01', to: '2026-11-30', page: '3' }),
			TZ
		);
		expect(parsed.errors).toEqual({});
		expect(parsed.api).toEqual({ subjectId: ID, outcome: 'denied', from: '2026-10-31T23:00:00.000Z', to: '2026-11-30T23:00:00.000Z' });
		expect(parsed.page).toBe(3);
	});

	it('keeps summer time in mind', () => {
		expect(periodBound('2026-07-01', false, TZ)).toBe('2026-06-30T22:00:00.000Z');
		expect(periodBound('2026-03-29', true, TZ)).toBe('2026-03-29T22:00:00.000Z');
	});

	it('accepts exact instants, as anomaly links carry them', () => {
		expect(periodBound('2026-11-27T10:00:00.000Z', true, TZ)).toBe('2026-11-27T10:00:00.000Z');
	});

	it('reports malformed values per field instead of calling the API with them', () => {
		const parsed = parseFilter(
			new URLSearchParams({ subjectId: '19900101-1234', action: 'DROP TABLE', outcome: 'maybe', from: '2026-02-30', page: '-1' }),
			TZ
		);
		expect(parsed.errors).toEqual({ subjectId: 'invalidId', action: 'invalidAction', outcome: 'invalidOutcome', from: 'invalidDate' });
		expect(parsed.page).toBe(1);
	});

	it('refuses a period that ends before it starts', () => {
		expect(parseFilter(new URLSearchParams({ from: '2026-11-02', to: '2026-11-01' }), TZ).errors).toEqual({ to: 'periodOrder' });
	});
});

describe('filterQuery', () => {
	it('keeps the given values, applies changes and leaves out empty ones', () => {
		expect(filterQuery({ subjectId: ID, outcome: '' }, { outcome: 'denied' }, 2)).toBe(`?subjectId=${ID}&outcome=denied&page=2`);
		expect(filterQuery({ subjectId: ID }, { subjectId: '' })).toBe('');
	});
});

describe('overviewPeriod', () => {
	const now = Date.parse('2026-11-27T10:00:00Z');

	it('defaults to the last days up to the end of today, by day', () => {
		expect(overviewPeriod({}, now, TZ, 30, 731)).toEqual({
			from: '2026-10-28T23:00:00.000Z',
			to: '2026-11-27T23:00:00.000Z',
			bucket: 'day'
		});
	});

	it('uses hours for a short period and caps a long one', () => {
		expect(overviewPeriod({ from: '2026-11-26T23:00:00.000Z', to: '2026-11-27T23:00:00.000Z' }, now, TZ, 30, 731).bucket).toBe('hour');
		const long = overviewPeriod({ from: '2020-01-01T00:00:00.000Z', to: '2026-11-27T23:00:00.000Z' }, now, TZ, 30, 92);
		expect(Date.parse(long.to) - Date.parse(long.from)).toBe(92 * 86_400_000);
	});
});
