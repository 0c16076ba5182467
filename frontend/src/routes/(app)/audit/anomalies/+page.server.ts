import { auditApi, requireAuditor, rethrowForbidden } from '$lib/server/audit';
import { DEFAULT_TIME_ZONE, overviewPeriod, parseFilter } from '../filters';
import { section } from '../section';
import type { PageServerLoad } from './$types';

/** The anomaly rules of policies/anomalies.yaml over a period (`from`, `to`; 30 days by default, at most 92). */
export const load: PageServerLoad = async (event) => {
	requireAuditor(event);
	const filter = parseFilter(event.url.searchParams, DEFAULT_TIME_ZONE);
	const valid = !filter.errors.from && !filter.errors.to;
	const period = overviewPeriod(valid ? filter.api : {}, Date.now(), DEFAULT_TIME_ZONE, 30, 92);
	try {
		return {
			anomalies: await section(auditApi(event).anomalies({ from: period.from, to: period.to })),
			values: { from: filter.values.from, to: filter.values.to },
			invalid: !valid
		};
	} catch (cause) {
		rethrowForbidden(cause, event);
	}
};
