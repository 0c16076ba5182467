import { fail, redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import type { MessageKey } from '$lib/i18n/messages';
import { citizenApi, handleApiError, isUuid, notFound, signedIn } from '../../../guard';
import { findConsent } from '../consent';
import type { Actions, PageServerLoad } from './$types';

const REASON_MAX = 2000;

/** The second click of a withdrawal: what is withdrawn, an optional reason, and "Ja, återkalla". */
export const load: PageServerLoad = async ({ locals, parent, params }) => {
	const { me: current } = await parent();
	const { api, me } = signedIn(locals, current);
	const found = await findConsent(api, me, locals, params.id, `/citizen/consents/${params.id}/withdraw`);
	if (found.consent.status === 'withdrawn') redirect(303, `/citizen/consents/${params.id}/withdrawn`);
	if (!found.consent.canWithdraw) notFound(locals);
	return { ...found, reasonMax: REASON_MAX };
};

export const actions = {
	default: async ({ locals, params, request }) => {
		if (!isUuid(params.id)) notFound(locals);
		const api = citizenApi(locals);
		const reason = String((await request.formData()).get('reason') ?? '').trim();
		if (reason.length > REASON_MAX) return fail(400, { reason, error: 'citizen.withdraw.error.reasonTooLong' as MessageKey });
		try {
			await api.withdraw(params.id, reason || undefined);
		} catch (e) {
			const err = handleApiError(e, locals, `/citizen/consents/${params.id}/withdraw`);
			// Already withdrawn (here or by the social worker): the done page shows it and its receipt.
			if (err instanceof ApiError && err.status === 409) redirect(303, `/citizen/consents/${params.id}/withdrawn`);
			const error: MessageKey =
				err instanceof ApiError && err.status === 400 ? 'citizen.withdraw.error.reasonTooLong' : 'citizen.withdraw.error.unavailable';
			return fail(err instanceof ApiError ? err.status : 503, { reason, error });
		}
		redirect(303, `/citizen/consents/${params.id}/withdrawn`);
	}
} satisfies Actions;
