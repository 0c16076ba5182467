import type { MessageKey } from '$lib/i18n/messages';
import { apiFailure, formFailure, formValues, readOrNotFound, reopenAction } from '$lib/server/cases';
import { ApiError } from '$lib/server/api';
import { consentRequestProblem } from '$lib/server/consent-requests';
import type { Actions, PageServerLoad } from './$types';

const SAVED: Record<string, MessageKey> = {
	recorded: 'consents.list.recorded',
	withdrawn: 'consents.list.withdrawn',
	requested: 'consentRequests.list.created'
};

/**
 * The owning unit's consents and matrix; for anyone else the API answers 404, and so do we. The
 * owning social worker also sees the consent requests sent to the person.
 */
export const load: PageServerLoad = async ({ locals, params, url, parent }) => {
	const { owner } = await parent();
	const [consents, matrix, requests] = await readOrNotFound(
		Promise.all([
			locals.api.consents.list(params.id),
			locals.api.consents.matrix(params.id),
			owner ? locals.api.consents.requests.list(params.id) : Promise.resolve([])
		]),
		locals.requestId
	);
	const saved = url.searchParams.get('saved') ?? '';
	return { consents, matrix, requests, saved: Object.hasOwn(SAVED, saved) ? SAVED[saved]! : null };
};

export const actions = {
	/** Cancels an open consent request: it can no longer be answered. */
	cancelRequest: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), ['requestId']);
		try {
			await locals.api.consents.requests.cancel(params.id, values.requestId ?? '');
		} catch (err) {
			const known = err instanceof ApiError ? consentRequestProblem(err) : null;
			if (known) return formFailure(409, 'cancelRequest', known.message, values, {}, values.requestId);
			return apiFailure(err, { action: 'cancelRequest', requestId: locals.requestId, values, itemId: values.requestId ?? '' });
		}
		return { action: 'cancelRequest', saved: 'consentRequests.list.cancelled' as const };
	},

	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
