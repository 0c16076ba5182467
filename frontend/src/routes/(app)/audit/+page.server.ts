import { fail, redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { auditApi, requireAuditor, rethrowForbidden, type AuditSubjectLookup } from '$lib/server/audit';
import { DEFAULT_TIME_ZONE, hasFilter, overviewPeriod, parseFilter } from './filters';
import { looksLikePersonnummer, lookupOutcome } from './lookup';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 25;

/** A section whose API call failed with a 4xx is shown as "could not be loaded"; the rest stays. */
async function section<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; status: number }> {
	try {
		return { ok: true, value: await promise };
	} catch (cause) {
		if (cause instanceof ApiError && cause.status !== 401 && cause.status !== 403) return { ok: false, status: cause.status };
		throw cause;
	}
}

export const load: PageServerLoad = async (event) => {
	requireAuditor(event);
	const api = auditApi(event);
	const filter = parseFilter(event.url.searchParams, DEFAULT_TIME_ZONE);
	const valid = Object.keys(filter.errors).length === 0;
	const now = Date.now();
	const chartPeriod = overviewPeriod(valid ? filter.api : {}, now, DEFAULT_TIME_ZONE, 30, 731);
	const anomalyPeriod = overviewPeriod(valid ? filter.api : {}, now, DEFAULT_TIME_ZONE, 30, 92);

	try {
		const [integrity, events, timeline, anomalies, agencies, actors, actions] = await Promise.all([
			section(api.verify()),
			valid ? section(api.events({ ...filter.api, page: filter.page, pageSize: PAGE_SIZE })) : null,
			section(
				api.timeline({
					from: chartPeriod.from,
					to: chartPeriod.to,
					bucket: chartPeriod.bucket,
					...(filter.api.agencyId && valid ? { agencyId: filter.api.agencyId } : {})
				})
			),
			section(api.anomalies({ from: anomalyPeriod.from, to: anomalyPeriod.to })),
			// The filter's lists; without them the form falls back to ids typed in.
			section(api.agencies()),
			section(api.actors()),
			section(api.actions())
		]);
		return {
			filter: { values: filter.values, errors: filter.errors, page: filter.page, active: valid && hasFilter(filter.api) },
			integrity,
			events,
			timeline,
			anomalies,
			lists: {
				agencies: agencies.ok ? agencies.value.items : null,
				actors: actors.ok ? actors.value.items : null,
				actions: actions.ok ? actions.value.items : null
			},
			timeZone: DEFAULT_TIME_ZONE
		};
	} catch (cause) {
		rethrowForbidden(cause, event);
	}
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
