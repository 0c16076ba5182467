import { auditApi, requireAuditor, rethrowForbidden } from '$lib/server/audit';
import { DEFAULT_TIME_ZONE, overviewPeriod, parseFilter } from '../filters';
import { section } from '../section';
import type { PageServerLoad } from './$types';

/** Allowed, denied and error counts per agency over a period (`from`, `to`, `agencyId`; 30 days by default). */
export const load: PageServerLoad = async (event) => {
	requireAuditor(event);
	const api = auditApi(event);
	const filter = parseFilter(event.url.searchParams, DEFAULT_TIME_ZONE);
	const valid = !filter.errors.from && !filter.errors.to && !filter.errors.agencyId;
	const period = overviewPeriod(valid ? filter.api : {}, Date.now(), DEFAULT_TIME_ZONE, 30, 731);
	try {
		const [timeline, agencies] = await Promise.all([
			section(
				api.timeline({
					from: period.from,
					to: period.to,
					bucket: period.bucket,
					...(valid && filter.api.agencyId ? { agencyId: filter.api.agencyId } : {})
				})
			),
			section(api.agencies())
		]);
		return {
			timeline,
			agencies: agencies.ok ? agencies.value.items : [],
			values: { from: filter.values.from, to: filter.values.to, agencyId: filter.values.agencyId },
			invalid: !valid
		};
	} catch (cause) {
		rethrowForbidden(cause, event);
	}
};
