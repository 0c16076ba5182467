import { describe, expect, it } from 'vitest';
import { readReceipt } from './receipt';

const receipt = {
	version: 'KI-CR-v1.1.0',
	jurisdiction: 'SE',
	consentTimestamp: 1795776468,
	collectionMethod: 'Written consent, signed on paper and scanned',
	consentReceiptID: 'r-1',
	piiPrincipalId: 's-1',
	piiControllers: [{ piiController: 'Socialtjänsten', piiControllerId: 'a-1' }],
	services: [
		{
			service: 'Samverka',
			purposes: [
				{
					purpose: 'Samverkan',
					purposeCategory: ['OSL 12:2'],
					consentType: 'EXPLICIT',
					piiCategory: ['identity', 'social'],
					termination: 't'
				}
			]
		}
	],
	sensitive: true,
	consentId: 'c-1',
	caseId: 'k-1',
	givenBy: { kind: 'guardian', guardianId: 'g-1' },
	method: { kind: 'written', evidenceRef: 'Dnr 1', witness: null },
	recipients: [
		{ id: 'a-1', name: 'Socialtjänsten' },
		{ id: 'a-2', name: 'Polisen' }
	],
	period: { validFrom: '2026-01-01', validTo: '2026-12-31' }
};

describe('readReceipt', () => {
	it('reads the Kantara fields and Samverka’s own', () => {
		const r = readReceipt(receipt);
		expect(r.receiptId).toBe('r-1');
		expect(r.controllers).toEqual(['Socialtjänsten']);
		expect(r.purposes[0]?.categories).toEqual(['identity', 'social']);
		expect(r.givenBy).toEqual({ kind: 'guardian', guardianId: 'g-1' });
		expect(r.method).toEqual({ kind: 'written', evidenceRef: 'Dnr 1', witness: null });
		expect(r.recipients).toEqual(['Socialtjänsten', 'Polisen']);
		expect(r.period).toEqual({ validFrom: '2026-01-01', validTo: '2026-12-31' });
	});

	it('shows nothing rather than guessing when fields are missing or of the wrong type', () => {
		const r = readReceipt({ services: 'x', givenBy: { kind: 'guardian' }, consentTimestamp: 'now', recipients: [1, null] });
		expect(r.purposes).toEqual([]);
		expect(r.givenBy).toBeNull();
		expect(r.timestamp).toBeNull();
		expect(r.recipients).toEqual([]);
		expect(r.period).toBeNull();
	});
});
