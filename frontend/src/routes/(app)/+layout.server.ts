import { error, redirect } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals }) => {
	if (locals.apiUnavailable) error(503, { message: 'Service Unavailable', code: 'unavailable', requestId: locals.requestId });
	// hooks.server.ts already redirects; this narrows the type for every page below.
	if (!locals.user) redirect(303, '/login');
	return { user: locals.user };
};
