import { error, redirect } from '@sveltejs/kit';
import { parsePersonnummer } from '$lib/components/cases/personnummer';
import { CONCERN_PROBLEMS } from '$lib/components/concerns/problems';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError } from '$lib/server/api';
import { apiFailure, formFailure, formValues } from '$lib/server/cases';
import type { TriageRequest } from '$lib/server/concerns';
import type { Actions, PageServerLoad } from './$types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DECISIONS = ['open_case', 'link', 'no_action'] as const;
const FIELDS = ['decision', 'caseId', 'pin', 'firstName', 'lastName', 'reason'] as const;

const notFound = (requestId: string): never => error(404, { message: 'Not Found', code: 'not_found', requestId });

export const load: PageServerLoad = async ({ locals, params, url }) => {
	if (!UUID.test(params.id)) notFound(locals.requestId);
	try {
		const concern = await locals.api.concerns.get(params.id);
		return { concern, saved: url.searchParams.get('saved') === '1' };
	} catch (err) {
		// Missing, not the caller's, or a role without concerns: one and the same page.
		if (err instanceof ApiError && [400, 403, 404].includes(err.status)) notFound(locals.requestId);
		throw err;
	}
};

function validate(v: Record<string, string>): Record<string, MessageKey> {
	const e: Record<string, MessageKey> = {};
	if (!(DECISIONS as readonly string[]).includes(v.decision ?? '')) e['decision-open_case'] = 'concerns.error.decisionRequired';
	if (v.decision === 'link' && !UUID.test(v.caseId ?? '')) e.caseId = 'concerns.error.caseIdRequired';
	if (v.decision !== 'link' && v.caseId) e.caseId = 'concerns.error.caseIdNotExpected';
	if (v.pin && !parsePersonnummer(v.pin)) e.pin = 'concerns.error.pinInvalid';
	if (!v.reason) e.reason = 'concerns.error.reasonRequired';
	else if (v.reason.length > 2000) e.reason = 'concerns.error.tooLong';
	return e;
}

export const actions = {
	/** The intake's decision; opening or linking a case lands on that case. */
	triage: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), FIELDS);
		const fieldErrors = validate(values);
		if (Object.keys(fieldErrors).length > 0) return formFailure(400, 'triage', 'concerns.error.fix', values, fieldErrors);
		const decision = values.decision as TriageRequest['decision'];
		const person = {
			...(values.pin ? { personalIdentityNumber: values.pin } : {}),
			...(values.firstName ? { firstName: values.firstName } : {}),
			...(values.lastName ? { lastName: values.lastName } : {})
		};
		const body: TriageRequest = {
			decision,
			reason: values.reason!,
			...(decision === 'link' ? { caseId: values.caseId! } : {}),
			...(decision === 'open_case' && Object.keys(person).length > 0 ? { person } : {})
		};
		let caseId: string | null;
		try {
			caseId = (await locals.api.concerns.triage(params.id, body)).caseId;
		} catch (err) {
			if (err instanceof ApiError && (err.status === 400 || err.status === 409)) {
				const known = CONCERN_PROBLEMS[err.problem?.type?.split(':').pop() ?? ''];
				if (known) return formFailure(err.status, 'triage', known.message, values, known.field ? { [known.field]: known.message } : {});
			}
			// Linking to a case that is missing or not the unit's: the API answers 404 for the case.
			if (err instanceof ApiError && err.status === 404 && decision === 'link')
				return formFailure(400, 'triage', 'concerns.error.caseNotFound', values, { caseId: 'concerns.error.caseNotFound' });
			return apiFailure(err, { action: 'triage', requestId: locals.requestId, values });
		}
		redirect(303, caseId ? `/cases/${caseId}` : `/concerns/${params.id}?saved=1`);
	}
} satisfies Actions;
