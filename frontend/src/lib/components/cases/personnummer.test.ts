import { describe, expect, it } from 'vitest';
import { parsePersonnummer } from './personnummer';

// From the shared reference list (testdata/personnummer-list.json).
const today = new Date('2026-11-27T12:00:00Z');

describe('parsePersonnummer', () => {
	it.each(['19090527+1474', '19821105-9954', '19901211-9948', '198211059954', '821105-9954', '8211059954'])('accepts %s', (pin) => {
		expect(parsePersonnummer(pin, today)).not.toBeNull();
	});

	it('normalises to 12 digits and derives the birth date', () => {
		expect(parsePersonnummer('821105-9954', today)).toEqual({ normalized: '198211059954', birthDate: '1982-11-05' });
		expect(parsePersonnummer('090527+1474', today)?.normalized).toBe('190905271474');
	});

	it('accepts a samordningsnummer (day + 60) and removes the 60 from the birth date', () => {
		expect(parsePersonnummer('19570574-9959', today)).toEqual({ normalized: '195705749959', birthDate: '1957-05-14' });
	});

	it.each([
		'20150916-0006',
		'19870704-9996',
		'20121120-9941',
		'19390182-9913',
		'20121075-9984',
		'',
		'abc',
		'19821105-995',
		'19821305-9954'
	])('rejects %s', (pin) => {
		expect(parsePersonnummer(pin, today)).toBeNull();
	});

	it('rejects a birth date in the future', () => {
		expect(parsePersonnummer('20301105-9954', today)).toBeNull();
	});
});
