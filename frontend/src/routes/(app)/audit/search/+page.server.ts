import { auditApi, requireAuditor, rethrowForbidden } from '$lib/server/audit';
import { DEFAULT_TIME_ZONE, hasFilter, parseFilter } from '../filters';
import { section } from '../section';
import type { PageServerLoad } from './$types';

const PAGE_SIZE = 25;

/** The log search: a filter in the URL (ids, codes and dates only), a page of events, the lists for the form. */
export const load: PageServerLoad = async (event) => {
	requireAuditor(event);
	const api = auditApi(event);
	const filter = parseFilter(event.url.searchParams, DEFAULT_TIME_ZONE);
	const valid = Object.keys(filter.errors).length === 0;
	try {
		const [events, agencies, actors, actions] = await Promise.all([
			valid ? section(api.events({ ...filter.api, page: filter.page, pageSize: PAGE_SIZE })) : null,
			// The filter's lists; without them the form falls back to ids typed in.
			section(api.agencies()),
			section(api.actors()),
			section(api.actions())
		]);
		return {
			filter: { values: filter.values, errors: filter.errors, page: filter.page, active: valid && hasFilter(filter.api) },
			events,
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
