import { fail, redirect } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import { problemCode } from '$lib/server/http';
import type { MessageKey } from '$lib/i18n/messages';
import { citizenApi, handleApiError, isUuid, notFound, signedIn } from '../guard';
import type { Actions, PageServerLoad } from './$types';

const REASON_MAX = 2000;
const HERE = '/citizen/requests';

/** The consent questions the citizen must answer; after an answer, what it led to. */
export const load: PageServerLoad = async ({ locals, parent, url }) => {
	const { me: current } = await parent();
	const { api, me } = signedIn(locals, current);
	try {
		const { items } = await api.requests();
		const mySubjectIds = me.relations.filter((r) => r.as === 'subject' && r.subjectId).map((r) => r.subjectId as string);
		const accepted = url.searchParams.get('accepted');
		return {
			requests: items,
			mySubjectIds,
			acceptedConsentId: isUuid(accepted) ? accepted : null,
			declined: url.searchParams.get('declined') === '1',
			reasonMax: REASON_MAX
		};
	} catch (e) {
		throw handleApiError(e, locals, HERE);
	}
};

const ERRORS: Record<string, MessageKey> = {
	already_answered: 'citizen.requests.error.alreadyAnswered',
	request_closed: 'citizen.requests.error.closed'
};

/** What to tell the person when their answer was refused (a stale sign-in signs in again instead). */
function refused(e: unknown, locals: App.Locals, requestId: string, reason?: string) {
	const err = handleApiError(e, locals, HERE);
	const error: MessageKey =
		err instanceof ApiError
			? (ERRORS[problemCode(err)] ?? (err.status === 400 ? 'citizen.requests.error.reasonTooLong' : 'citizen.requests.error.unavailable'))
			: 'citizen.requests.error.unavailable';
	return fail(err instanceof ApiError ? err.status : 503, { requestId, error, reason });
}

async function requestIdFrom(request: Request, locals: App.Locals): Promise<{ id: string; form: FormData }> {
	const form = await request.formData();
	const id = String(form.get('requestId') ?? '');
	if (!isUuid(id)) notFound(locals);
	return { id, form };
}

export const actions = {
	accept: async ({ locals, request }) => {
		const api = citizenApi(locals);
		const { id } = await requestIdFrom(request, locals);
		let consentId: string;
		try {
			({ consentId } = await api.accept(id));
		} catch (e) {
			return refused(e, locals, id);
		}
		redirect(303, `${HERE}?accepted=${consentId}`);
	},
	decline: async ({ locals, request }) => {
		const api = citizenApi(locals);
		const { id, form } = await requestIdFrom(request, locals);
		const reason = String(form.get('reason') ?? '').trim();
		if (reason.length > REASON_MAX)
			return fail(400, { requestId: id, error: 'citizen.requests.error.reasonTooLong' as MessageKey, reason });
		try {
			await api.decline(id, reason || undefined);
		} catch (e) {
			return refused(e, locals, id, reason);
		}
		redirect(303, `${HERE}?declined=1`);
	}
} satisfies Actions;
