import { fail, redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { auditApi, requireAuditor, rethrowForbidden, type AuditSubjectLookup } from '$lib/server/audit';
import { isUuid } from '../filters';
import { looksLikePersonnummer, lookupOutcome } from '../lookup';
import type { Actions, PageServerLoad } from './$types';

/** Log extracts: find a person's extract by personnummer (a POST) or open it by subject id (`?id=`). */
export const load: PageServerLoad = async (event) => {
	requireAuditor(event);
	const id = (event.url.searchParams.get('id') ?? '').trim().toLowerCase();
	if (id && isUuid(id)) redirect(303, `/audit/subjects/${id}`);
	return { idError: id !== '' };
};

export const actions = {
	/**
	 * GDPR art. 15: find a person's extract from their personnummer. A POST, so the number never
	 * appears in a URL, and it is not echoed back into the page; the API records the lookup with
	 * the subjects it found, never the number.
	 */
	lookup: async (event) => {
		requireAuditor(event);
		const form = await event.request.formData();
		const value = String(form.get('personalIdentityNumber') ?? '').trim();
		if (!looksLikePersonnummer(value)) return fail(400, { lookup: { error: 'invalid' as const } });
		let result: AuditSubjectLookup;
		try {
			result = await auditApi(event).lookupSubjects(value);
		} catch (cause) {
			if (cause instanceof ApiError && cause.status === 400) return fail(400, { lookup: { error: 'invalid' as const } });
			rethrowForbidden(cause, event);
		}
		const outcome = lookupOutcome(result.subjects);
		if (outcome.kind === 'redirect') redirect(303, outcome.href);
		return { lookup: outcome.kind === 'several' ? { subjects: outcome.ids } : { none: true as const } };
	}
} satisfies Actions;
