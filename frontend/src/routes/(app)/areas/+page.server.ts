import { error } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	try {
		return { mine: await locals.api.areas.mine() };
	} catch (err) {
		// Roles without the group level (auditors, administrators) see the page as if it did not exist.
		if (err instanceof ApiError && err.status === 403) error(404, { message: 'Not found', code: 'not_found', requestId: locals.requestId });
		throw err;
	}
};
