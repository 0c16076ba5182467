import fc from 'fast-check';
import forge from 'node-forge';
import { describe, expect, inject, it, vi } from 'vitest';
import { loadKeys, verifyDetached } from '../../src/lib/keys.js';
import {
  buildReceipt,
  canonicalJson,
  signReceipt,
  verifyReceipt,
  type ConsentReceipt,
  type ReceiptSource,
} from '../../src/modules/consents/receipt.js';

const keys = loadKeys(inject('keysDir'), false);
const source: ReceiptSource = {
  consentId: '6f1d2c4e-8a43-4c55-9a3e-0d1f6f2b7a10',
  receiptId: '0b3a1c9e-2f7d-4e0b-8c1a-5d6e7f809a1b',
  caseId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  subjectId: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
  controller: { id: '11111111-1111-4111-8111-111111111111', name: 'Borås Stad – Individ- och familjeomsorg' },
  givenBy: { kind: 'guardian', guardianId: '22222222-2222-4222-8222-222222222222' },
  method: 'written',
  evidenceRef: 'arkiv:2026/1234',
  witness: null,
  recipients: [
    { id: '11111111-1111-4111-8111-111111111111', name: 'Borås Stad – Individ- och familjeomsorg' },
    { id: '33333333-3333-4333-8333-333333333333', name: 'Engelbrektskolan' },
  ],
  categories: ['school', 'social'],
  purpose: 'Samordnat stöd i skolan',
  validFrom: '2026-11-27',
  validTo: '2027-11-26',
  recordedAt: new Date('2026-11-27T09:30:00.123Z'),
};

describe('consent receipts', () => {
  it('carries the Kantara fields, a subject reference and no personnummer', () => {
    const r = buildReceipt(source);
    expect(r).toMatchObject({
      version: 'KI-CR-v1.1.0',
      jurisdiction: 'SE',
      consentReceiptID: source.receiptId,
      piiPrincipalId: source.subjectId,
      sensitive: true,
      period: { validFrom: '2026-11-27', validTo: '2027-11-26' },
      method: { kind: 'written', evidenceRef: 'arkiv:2026/1234', witness: null },
      piiControllers: [{ piiControllerId: source.controller.id }],
    });
    expect(r.consentTimestamp).toBe(Math.floor(source.recordedAt.getTime() / 1000));
    const purpose = (r.services as { purposes: { piiCategory: string[]; purposeCategory: string[]; purpose: string }[] }[])[0]!
      .purposes[0]!;
    expect(purpose.piiCategory).toEqual(['school', 'social']);
    expect(purpose.purpose).toBe(source.purpose);
    expect(purpose.purposeCategory.length).toBeGreaterThan(0);
    expect((r.recipients as { id: string }[]).map((x) => x.id)).toEqual([source.recipients[0]!.id, source.recipients[1]!.id]);
  });

  it('canonicalises with sorted keys at every level and no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null, 'x'], c: 2.5 } })).toBe('{"a":{"c":2.5,"d":[true,null,"x"]},"b":1}');
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
  });

  it('verifies a signed receipt, also after a JSON round trip with keys in another order', () => {
    const signed = signReceipt(keys.signing, buildReceipt(source));
    expect(signed.kid).toBe(keys.signing.kid);
    expect(Buffer.from(signed.signature, 'base64')).toHaveLength(64);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(signed.receipt).reverse()))) as unknown;
    expect(verifyReceipt([keys.signing], reordered, signed.signature, signed.kid)).toBe(true);
  });

  it('does not verify a tampered receipt, a foreign signature or an unknown key id', () => {
    const signed = signReceipt(keys.signing, buildReceipt(source));
    const tampered = structuredClone(signed.receipt);
    (tampered.period as { validTo: string }).validTo = '2030-01-01';
    expect(verifyReceipt([keys.signing], tampered, signed.signature, signed.kid)).toBe(false);
    expect(verifyReceipt([keys.signing], { ...signed.receipt, extra: 1 }, signed.signature, signed.kid)).toBe(false);
    const other = signReceipt(keys.signing, buildReceipt({ ...source, purpose: 'Annat' }));
    expect(verifyReceipt([keys.signing], signed.receipt, other.signature, signed.kid)).toBe(false);
    expect(verifyReceipt([keys.signing], signed.receipt, signed.signature, 'ffffffffffffffff')).toBe(false);
    expect(verifyReceipt([keys.signing], signed.receipt, 'not base64!', signed.kid)).toBe(false);
    expect(verifyReceipt([keys.signing], [signed.receipt], signed.signature, signed.kid)).toBe(false);
  });

  it("checks signatures with node:crypto, never with node-forge's pure-JS Ed25519 (which holds the event loop ~12 ms)", () => {
    const signed = signReceipt(keys.signing, buildReceipt(source));
    const forgeVerify = vi.spyOn(forge.pki.ed25519, 'verify');
    try {
      expect(verifyReceipt([keys.signing], signed.receipt, signed.signature, signed.kid)).toBe(true);
      expect(verifyReceipt([keys.signing], { ...signed.receipt, extra: 1 }, signed.signature, signed.kid)).toBe(false);
      expect(forgeVerify).not.toHaveBeenCalled();
    } finally {
      forgeVerify.mockRestore();
    }
  });

  it('accepts exactly what node-forge signs, and agrees with node-forge on altered signatures', () => {
    const receipts = fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
    fc.assert(
      fc.property(receipts, fc.nat({ max: 511 }), (receipt, bit) => {
        const signed = signReceipt(keys.signing, receipt as ConsentReceipt);
        expect(verifyReceipt([keys.signing], receipt, signed.signature, signed.kid)).toBe(true);
        const altered = Buffer.from(signed.signature, 'base64');
        altered[bit >> 3]! ^= 1 << (bit & 7);
        const b64 = altered.toString('base64');
        expect(verifyReceipt([keys.signing], receipt, b64, signed.kid)).toBe(
          verifyDetached(keys.signing.publicKey, canonicalJson(receipt), b64),
        );
        expect(verifyReceipt([keys.signing], receipt, b64, signed.kid)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });
});
