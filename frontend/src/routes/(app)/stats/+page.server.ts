import { ApiError, problemCode } from '$lib/server/http';
import { periodOf, rethrowForbidden, statsApi } from './stats.server';
import type { PageServerLoad } from './$types';

const KNOWN_PROBLEMS = ['invalid_date', 'period_reversed', 'period_too_long'] as const;
type PeriodProblem = (typeof KNOWN_PROBLEMS)[number] | 'other';

export const load: PageServerLoad = async (event) => {
	const query = periodOf(event.url);
	try {
		return { overview: await statsApi(event).overview(query), query, problem: null };
	} catch (cause) {
		if (cause instanceof ApiError && cause.status === 400) {
			const code = problemCode(cause);
			const problem: PeriodProblem = (KNOWN_PROBLEMS as readonly string[]).includes(code) ? (code as PeriodProblem) : 'other';
			return { overview: null, query, problem };
		}
		rethrowForbidden(cause, event);
	}
};
