import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import type { AuditExtract } from '$lib/components/audit/types';

/**
 * Checks a subject's log extract here, in the web app, instead of trusting the API's word: the
 * checkpoint's Ed25519 signature, each event's leaf hash recomputed from its fields, and each
 * Merkle inclusion proof (RFC 9162 §2.1.3.2) against the signed root. The formats mirror
 * backend/src/modules/audit/audit.crypto.ts (`samverka.audit.event/v1`, `…checkpoint/v1`).
 */

/** What an event's proof needs: its canonical fields and its place in the tree, as the extract API sends them. */
export type ProofEvent = Pick<
	AuditExtract['events'][number],
	| 'seq'
	| 'eventId'
	| 'occurredAt'
	| 'actorId'
	| 'actorAgencyId'
	| 'actorRole'
	| 'action'
	| 'resourceType'
	| 'resourceId'
	| 'caseId'
	| 'subjectId'
	| 'outcome'
	| 'reason'
	| 'consentIds'
	| 'requestId'
	| 'clientIp'
	| 'leafIndex'
	| 'leafHash'
	| 'inclusionProof'
>;

/** A signed checkpoint, as the extract API sends it. */
export type ProofCheckpoint = NonNullable<AuditExtract['checkpoint']>;

/** `proven`: in the signed tree; `pending`: sequenced after the checkpoint; `failed`: does not verify. */
export type EventProof = 'proven' | 'pending' | 'failed';

export interface ExtractVerification {
	signatureValid: boolean | null;
	proofs: Map<number, EventProof>;
	proven: number;
	pending: number;
	failed: number;
	firstFailedSeq: number | null;
}

const EVENT_FORMAT = 'samverka.audit.event/v1';
const CHECKPOINT_FORMAT = 'samverka.audit.checkpoint/v1';

const sha256 = (...parts: Buffer[]): Buffer => {
	const hash = createHash('sha256');
	for (const part of parts) hash.update(part);
	return hash.digest();
};

export function leafHashOf(e: ProofEvent): string {
	const canonical = JSON.stringify([
		EVENT_FORMAT,
		e.seq,
		e.eventId,
		e.occurredAt,
		e.actorId,
		e.actorAgencyId,
		e.actorRole,
		e.action,
		e.resourceType,
		e.resourceId,
		e.caseId,
		e.subjectId,
		e.outcome,
		e.reason,
		e.consentIds,
		e.requestId,
		e.clientIp
	]);
	return sha256(Buffer.from([0]), Buffer.from(canonical, 'utf8')).toString('hex');
}

const nodeHash = (left: Buffer, right: Buffer): Buffer => sha256(Buffer.from([1]), left, right);

export function verifyInclusion(index: number, size: number, leaf: Buffer, proof: Buffer[], root: Buffer): boolean {
	if (index < 0 || index >= size) return false;
	let fn = index;
	let sn = size - 1;
	let r = leaf;
	for (const p of proof) {
		if (sn === 0) return false;
		if (fn % 2 === 1 || fn === sn) {
			r = nodeHash(p, r);
			while (fn % 2 === 0 && fn !== 0) {
				fn = Math.floor(fn / 2);
				sn = Math.floor(sn / 2);
			}
		} else {
			r = nodeHash(r, p);
		}
		fn = Math.floor(fn / 2);
		sn = Math.floor(sn / 2);
	}
	return sn === 0 && r.equals(root);
}

export function checkpointSignatureValid(checkpoint: ProofCheckpoint, publicKeyPem: string): boolean {
	const message = [
		CHECKPOINT_FORMAT,
		String(checkpoint.treeSize),
		checkpoint.rootHash,
		checkpoint.chainHash,
		checkpoint.signedAt,
		checkpoint.keyId
	].join('\n');
	try {
		return verifySignature(null, Buffer.from(message, 'utf8'), createPublicKey(publicKeyPem), Buffer.from(checkpoint.signature, 'base64'));
	} catch {
		return false;
	}
}

export function verifyExtract(checkpoint: ProofCheckpoint | null, publicKeyPem: string, events: ProofEvent[]): ExtractVerification {
	const signatureValid = checkpoint ? checkpointSignatureValid(checkpoint, publicKeyPem) : null;
	const root = checkpoint ? Buffer.from(checkpoint.rootHash, 'hex') : null;
	const proofs = new Map<number, EventProof>();
	for (const e of events) {
		const leafOk = e.leafIndex === e.seq - 1 && leafHashOf(e) === e.leafHash;
		let proof: EventProof;
		if (!leafOk) proof = 'failed';
		else if (!checkpoint || e.seq > checkpoint.treeSize) proof = e.inclusionProof ? 'failed' : 'pending';
		else if (!e.inclusionProof || !signatureValid || !root) proof = 'failed';
		else {
			const path = e.inclusionProof.map((h) => Buffer.from(h, 'hex'));
			proof = verifyInclusion(e.leafIndex, checkpoint.treeSize, Buffer.from(e.leafHash, 'hex'), path, root) ? 'proven' : 'failed';
		}
		proofs.set(e.seq, proof);
	}
	const count = (p: EventProof) => [...proofs.values()].filter((v) => v === p).length;
	const firstFailed = events.find((e) => proofs.get(e.seq) === 'failed');
	return {
		signatureValid,
		proofs,
		proven: count('proven'),
		pending: count('pending'),
		failed: count('failed'),
		firstFailedSeq: firstFailed?.seq ?? null
	};
}
