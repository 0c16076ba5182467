import { redirect } from '@sveltejs/kit';
import { changePassword } from '$lib/server/password-change';
import type { Actions, PageServerLoad } from './$types';

/** After a sign-in with a one-time password: nothing else is allowed until the user has chosen their own. */
export const load: PageServerLoad = ({ locals }) => {
	if (!locals.user) redirect(303, '/login');
	if (!locals.user.mustChangePassword) redirect(303, '/');
	return {};
};

export const actions = {
	default: async ({ request, locals }) => {
		const failure = await changePassword(locals.api, await request.formData());
		if (failure) return failure;
		redirect(303, '/?passwordChanged');
	}
} satisfies Actions;
