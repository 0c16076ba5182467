import { error, fail } from '@sveltejs/kit';
import { ApiError } from '$lib/server/http';
import {
	auditApi,
	requireAuditor,
	rethrowForbidden,
	type AuditExtract,
	type AuditExtractGroups,
	type AuditSecrecyReviewBody
} from '$lib/server/audit';
import { DEFAULT_TIME_ZONE, isUuid } from '../../filters';
import { verifyExtract, type EventProof } from '../../proof';
import { section } from '../../section';
import { parseExtractFilter } from './extract-filter';
import type { Actions, PageServerLoad } from './$types';

const GROUPS_PER_PAGE = 30;
/** Events shown inside a group; the rows view has them all. */
const GROUP_ROWS = 20;

export const load: PageServerLoad = async (event) => {
	requireAuditor(event);
	const id = event.params.id.toLowerCase();
	if (!isUuid(id)) error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });

	const filter = parseExtractFilter(event.url.searchParams);
	const valid = Object.keys(filter.errors).length === 0;
	const api = auditApi(event);
	let extract: AuditExtract;
	let grouped: { ok: true; value: AuditExtractGroups } | { ok: false; status: number } | null;
	let agencies: { id: string; name: string }[];
	try {
		// Grouped in the API (counts per day × agency × action); the whole extract still comes along
		// for its proofs, which this page checks itself.
		const [x, g, a] = await Promise.all([
			api.extract(id),
			valid && filter.view === 'groups'
				? section(
						api.extractGroups(id, {
							...filter.api,
							ownReads: filter.hideOwn ? 'hide' : 'show',
							page: filter.page,
							pageSize: GROUPS_PER_PAGE,
							groupRows: GROUP_ROWS
						})
					)
				: null,
			section(api.agencies())
		]);
		extract = x;
		grouped = g;
		agencies = a.ok ? a.value.items.map(({ id: agencyId, name }) => ({ id: agencyId, name })) : [];
	} catch (cause) {
		rethrowForbidden(cause, event);
	}
	// Checked here, not taken on the API's word: signature, leaf hashes and inclusion proofs. While
	// a protected person's agencies are held back the leaves cannot be recomputed: the signature only.
	const verification = verifyExtract(extract.checkpoint, extract.publicKey.pem, extract.agenciesHeldBack ? [] : extract.events);
	const proofs: Record<number, EventProof> = Object.fromEntries(verification.proofs);

	return {
		subjectId: id,
		generatedAt: extract.generatedAt,
		checkpoint: extract.checkpoint,
		keyId: extract.publicKey.keyId,
		unsequenced: extract.unsequenced,
		truncated: extract.truncated,
		limit: extract.limit,
		protectedIdentity: extract.protectedIdentity,
		agenciesHeldBack: extract.agenciesHeldBack,
		secrecyReview: extract.secrecyReview,
		// Newest first, as in the log search; without proof material the page does not show.
		eventCount: extract.events.length,
		// Every event only in the rows view: a long extract is read in groups.
		events: (filter.view === 'rows' ? extract.events : [])
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
		timeZone: DEFAULT_TIME_ZONE,
		filter: { values: filter.values, errors: filter.errors, hideOwn: filter.hideOwn, view: filter.view, page: filter.page },
		/** null: not asked (rows view, or a filter that cannot be read); `ok: false`: the API refused the filter (e.g. 409). */
		grouped,
		groupRows: GROUP_ROWS,
		agencies
	};
};

const DECISIONS: readonly AuditSecrecyReviewBody['decision'][] = ['release', 'withhold'];
const REASONS: readonly AuditSecrecyReviewBody['reasonCode'][] = ['no_harm', 'harm_risk', 'protected_whereabouts', 'other_secrecy'];

export const actions = {
	// The auditor's secrecy review: codes only, no free text (it is recorded in the log).
	secrecyReview: async (event) => {
		requireAuditor(event);
		const id = event.params.id.toLowerCase();
		if (!isUuid(id)) error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });
		const form = await event.request.formData();
		const decision = DECISIONS.find((d) => d === form.get('decision'));
		const reasonCode = REASONS.find((r) => r === form.get('reasonCode'));
		if (!decision || !reasonCode)
			return fail(400, { secrecy: 'invalid' as const, decision: decision ?? null, reasonCode: reasonCode ?? null });
		try {
			await auditApi(event).secrecyReview(id, { decision, reasonCode });
		} catch (cause) {
			if (cause instanceof ApiError && cause.status === 400) return fail(400, { secrecy: 'invalid' as const, decision, reasonCode });
			if (cause instanceof ApiError && cause.status === 409) return fail(409, { secrecy: 'notNeeded' as const, decision, reasonCode });
			rethrowForbidden(cause, event);
		}
		return { secrecy: 'saved' as const };
	}
} satisfies Actions;
