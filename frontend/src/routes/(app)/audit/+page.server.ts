import { ApiError } from '$lib/server/api';
import { auditApi, requireAuditor, rethrowForbidden } from '$lib/server/audit';
import { DEFAULT_TIME_ZONE, hasFilter, overviewPeriod, parseFilter } from './filters';
import type { PageServerLoad } from './$types';

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
		const [integrity, events, timeline, anomalies] = await Promise.all([
			section(api.verify()),
			valid ? section(api.events({ ...filter.api, page: filter.page, pageSize: PAGE_SIZE })) : null,
			section(api.timeline({ from: chartPeriod.from, to: chartPeriod.to, bucket: chartPeriod.bucket, ...(filter.api.agencyId && valid ? { agencyId: filter.api.agencyId } : {}) })),
			section(api.anomalies({ from: anomalyPeriod.from, to: anomalyPeriod.to }))
		]);
		return {
			filter: { values: filter.values, errors: filter.errors, page: filter.page, active: valid && hasFilter(filter.api) },
			integrity,
			events,
			timeline,
			anomalies,
			timeZone: DEFAULT_TIME_ZONE
		};
	} catch (cause) {
		rethrowForbidden(cause, event);
	}
};
