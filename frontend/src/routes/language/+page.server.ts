import { redirect } from '@sveltejs/kit';
import { isLocale } from '$lib/i18n/messages';
import { safeRedirectTarget, setLocaleCookie } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = () => {
	redirect(303, '/');
};

export const actions = {
	default: async ({ request, cookies, url }) => {
		const form = await request.formData();
		const lang = form.get('lang');
		if (isLocale(lang)) setLocaleCookie(cookies, url, lang);
		redirect(303, safeRedirectTarget(form.get('redirectTo')));
	}
} satisfies Actions;
