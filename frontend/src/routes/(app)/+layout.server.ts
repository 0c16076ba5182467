import { error, redirect } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = ({ locals }) => {
	if (locals.apiUnavailable) error(503, { message: 'Service Unavailable', code: 'unavailable', requestId: locals.requestId });
	// hooks.server.ts already redirects; this narrows the type for every page below.
	if (!locals.user) redirect(303, '/login');
	// A one-time password is still in use: the API allows nothing but the change (password_change_required).
	if (locals.user.mustChangePassword) redirect(303, '/change-password');
	return { user: locals.user };
};
