import { describe, expect, it } from 'vitest';
import { formatPersonnummer } from './personnummer';

const today = new Date('2026-12-05T12:00:00Z');

describe('formatPersonnummer', () => {
	it('shows the stored 12 digits as YYYYMMDD-NNNN', () => {
		expect(formatPersonnummer('198211059954', today)).toBe('19821105-9954');
	});

	it('shows a samordningsnummer the same way, day + 60 kept', () => {
		expect(formatPersonnummer('195705749959', today)).toBe('19570574-9959');
	});

	it('gives the short forms their century', () => {
		expect(formatPersonnummer('821105-9954', today)).toBe('19821105-9954');
		expect(formatPersonnummer('8211059954', today)).toBe('19821105-9954');
		expect(formatPersonnummer('19821105-9954', today)).toBe('19821105-9954');
	});

	it('shows an invalid value as it is', () => {
		expect(formatPersonnummer('19821105-9955', today)).toBe('19821105-9955');
		expect(formatPersonnummer('', today)).toBe('');
	});
});
