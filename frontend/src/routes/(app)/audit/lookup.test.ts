import { describe, expect, it } from 'vitest';
import { looksLikePersonnummer, lookupOutcome } from './lookup';

describe('the person lookup', () => {
	it('accepts the forms the API accepts and nothing that is not a number', () => {
		for (const v of ['20110517-1233', '201105171233', '110517-1233', '1105171233', '110517+1233', ' 20110517-1233 '])
			expect(looksLikePersonnummer(v), v).toBe(true);
		for (const v of ['', 'Testa Loggsson', '2011-05-17', '20110517-123', '20110517--1233', '4f9c2a1e-8b7d-4c3a-9e2f-1a2b3c4d5e6f'])
			expect(looksLikePersonnummer(v), v).toBe(false);
	});

	it('goes straight to the one extract, lists several, or says none was found', () => {
		const id = '4f9c2a1e-8b7d-4c3a-9e2f-1a2b3c4d5e6f';
		expect(lookupOutcome([{ id }])).toEqual({ kind: 'redirect', href: `/audit/subjects/${id}` });
		expect(lookupOutcome([{ id }, { id: 'b' }])).toEqual({ kind: 'several', ids: [id, 'b'] });
		expect(lookupOutcome([])).toEqual({ kind: 'none' });
	});
});
