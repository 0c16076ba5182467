import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leafHashOf, verifyExtract, type ProofCheckpoint, type ProofEvent } from './proof';

const sha = (...parts: Buffer[]) => {
	const h = createHash('sha256');
	for (const p of parts) h.update(p);
	return h.digest();
};
const node = (l: Buffer, r: Buffer) => sha(Buffer.from([1]), l, r);

function event(seq: number, extra: Partial<ProofEvent> = {}): ProofEvent {
	const e: ProofEvent = {
		seq,
		eventId: `00000000-0000-4000-8000-00000000000${seq}`,
		occurredAt: `2026-11-27T10:00:0${seq}.123456Z`,
		actorId: '11111111-1111-4111-8111-111111111111',
		actorAgencyId: '22222222-2222-4222-8222-222222222222',
		actorRole: 'social_worker',
		action: 'case.read',
		resourceType: 'case',
		resourceId: '33333333-3333-4333-8333-333333333333',
		caseId: '33333333-3333-4333-8333-333333333333',
		subjectId: '44444444-4444-4444-8444-444444444444',
		outcome: 'allowed',
		reason: 'owner',
		consentIds: [],
		requestId: 'r',
		clientIp: '127.0.0.1',
		leafIndex: seq - 1,
		leafHash: '',
		inclusionProof: null,
		...extra
	};
	return { ...e, leafHash: extra.leafHash ?? leafHashOf(e) };
}

/** A tree of three events (RFC 6962: root = node(node(l0, l1), l2)) signed by a fresh key. */
function fixture() {
	const events = [event(1), event(2), event(3)];
	const [l0, l1, l2] = events.map((e) => Buffer.from(e.leafHash, 'hex')) as [Buffer, Buffer, Buffer];
	const root = node(node(l0, l1), l2);
	events[0]!.inclusionProof = [l1.toString('hex'), l2.toString('hex')];
	events[1]!.inclusionProof = [l0.toString('hex'), l2.toString('hex')];
	events[2]!.inclusionProof = [node(l0, l1).toString('hex')];
	const { publicKey, privateKey } = generateKeyPairSync('ed25519');
	const body = {
		treeSize: 3,
		rootHash: root.toString('hex'),
		chainHash: '00'.repeat(32),
		signedAt: '2026-11-27T10:00:05.000Z',
		keyId: 'k1'
	};
	const message = ['samverka.audit.checkpoint/v1', '3', body.rootHash, body.chainHash, body.signedAt, body.keyId].join('\n');
	const checkpoint: ProofCheckpoint = { ...body, signature: sign(null, Buffer.from(message), privateKey).toString('base64') };
	return { events, checkpoint, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

describe('verifyExtract', () => {
	it('proves every event of an intact extract against the signed checkpoint', () => {
		const { events, checkpoint, pem } = fixture();
		const result = verifyExtract(checkpoint, pem, events);
		expect(result.signatureValid).toBe(true);
		expect(result.proven).toBe(3);
		expect(result.failed).toBe(0);
		expect(result.firstFailedSeq).toBeNull();
	});

	it('names the first event whose fields were changed after signing', () => {
		const { events, checkpoint, pem } = fixture();
		events[1] = { ...events[1]!, action: 'x' };
		const result = verifyExtract(checkpoint, pem, events);
		expect(result.proofs.get(2)).toBe('failed');
		expect(result.proofs.get(1)).toBe('proven');
		expect(result.firstFailedSeq).toBe(2);
	});

	it('rejects a checkpoint with a forged root', () => {
		const { events, checkpoint, pem } = fixture();
		const result = verifyExtract({ ...checkpoint, rootHash: 'ab'.repeat(32) }, pem, events);
		expect(result.signatureValid).toBe(false);
		expect(result.failed).toBe(3);
	});

	it('marks events after the checkpoint as pending, not proven', () => {
		const { events, checkpoint, pem } = fixture();
		const result = verifyExtract(checkpoint, pem, [...events, event(4)]);
		expect(result.proofs.get(4)).toBe('pending');
		expect(result.pending).toBe(1);
	});
});
