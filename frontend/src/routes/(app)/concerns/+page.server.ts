import { error } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import type { ConcernListStatus, ConcernPage } from '$lib/server/concerns';
import type { PageServerLoad } from './$types';

const STATUSES: readonly ConcernListStatus[] = ['open', 'closed', 'all'];
const REFERENCE = /^ORO-\d{4}-\d{4,7}$/;

/** Partners of school, police, leisure and other agencies raise concerns; social services do not. */
function raisesConcerns(user: App.Locals['user']): boolean {
	return !!user?.roles.includes('partner') && user.agency.kind !== 'social_services';
}

export const load: PageServerLoad = async ({ locals, url }) => {
	const raw = url.searchParams.get('status') ?? '';
	const status: ConcernListStatus = (STATUSES as readonly string[]).includes(raw) ? (raw as ConcernListStatus) : 'open';
	const offset = Math.max(0, Math.min(100_000, Number.parseInt(url.searchParams.get('offset') ?? '0', 10) || 0));
	const sent = url.searchParams.get('sent') ?? '';
	let page: ConcernPage;
	try {
		page = await locals.api.concerns.list(status, offset);
	} catch (err) {
		// A role without concerns gets the same page as for a missing one.
		if (err instanceof ApiError && (err.status === 403 || err.status === 404))
			error(404, { message: 'Not Found', code: 'not_found', requestId: locals.requestId });
		throw err;
	}
	return { page, status, offset, canRaise: raisesConcerns(locals.user), sent: REFERENCE.test(sent) ? sent : null };
};
