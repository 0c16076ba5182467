import { describe, expect, it } from 'vitest';
import { addDays, endOfStockholmDay } from './answer-by';

describe('the answer-by date of a consent request', () => {
	it('runs to the end of that day in Stockholm, in winter (UTC+1) and in summer (UTC+2)', () => {
		expect(endOfStockholmDay('2026-12-24')).toBe('2026-12-24T22:59:59.000Z');
		expect(endOfStockholmDay('2026-07-01')).toBe('2026-07-01T21:59:59.000Z');
	});

	it('follows the change of clocks on the day itself', () => {
		// Summer time starts 29 March 2026 and ends 25 October 2026 in Europe/Stockholm.
		expect(endOfStockholmDay('2026-03-29')).toBe('2026-03-29T21:59:59.000Z');
		expect(endOfStockholmDay('2026-10-25')).toBe('2026-10-25T22:59:59.000Z');
	});
});

describe('days ahead on the calendar', () => {
	it('counts calendar days across month ends and leap days', () => {
		expect(addDays('2026-12-05', 30)).toBe('2027-01-04');
		expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
	});
});
