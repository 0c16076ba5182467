import { error } from '@sveltejs/kit';
import { auditApi, requireAuditor, rethrowForbidden, type AuditExtract } from '$lib/server/audit';
import { DEFAULT_TIME_ZONE, isUuid } from '../../filters';
import { verifyExtract, type EventProof } from '../../proof';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireAuditor(event);
	const id = event.params.id.toLowerCase();
	if (!isUuid(id)) error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });

	let extract: AuditExtract;
	try {
		extract = await auditApi(event).extract(id);
	} catch (cause) {
		rethrowForbidden(cause, event);
	}
	// Checked here, not taken on the API's word: signature, leaf hashes and inclusion proofs.
	const verification = verifyExtract(extract.checkpoint, extract.publicKey.pem, extract.events);
	const proofs: Record<number, EventProof> = Object.fromEntries(verification.proofs);

	return {
		subjectId: id,
		generatedAt: extract.generatedAt,
		checkpoint: extract.checkpoint,
		keyId: extract.publicKey.keyId,
		unsequenced: extract.unsequenced,
		truncated: extract.truncated,
		limit: extract.limit,
		// Newest first, as in the log search; without proof material the page does not show.
		events: extract.events
			.map(({ inclusionProof: _p, leafHash: _h, leafIndex: _i, clientIp: _ip, ...e }) => e)
			.sort((a, b) => b.seq - a.seq),
		proofs,
		verification: {
			signatureValid: verification.signatureValid,
			proven: verification.proven,
			pending: verification.pending,
			failed: verification.failed,
			firstFailedSeq: verification.firstFailedSeq
		},
		timeZone: DEFAULT_TIME_ZONE
	};
};
