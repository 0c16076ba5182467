import { error } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	try {
		return { stats: await locals.api.cases.groupStats() };
	} catch (err) {
		if (err instanceof ApiError && err.status === 403)
			error(403, { message: 'Forbidden', code: 'unexpected', requestId: locals.requestId });
		throw err;
	}
};
