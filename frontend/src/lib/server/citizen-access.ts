import type { Action } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { apiFailure, formFailure, formValues } from './cases';
import { ACCESS_DECISIONS, ACCESS_REASONS, type RecordCitizenAccessReview } from './consent-requests';

/**
 * The case page's review of whether a person with protected identity may use the citizen view
 * (`POST /api/cases/:id/citizen-access-reviews`). The form of each person is keyed by `subject`
 * or the guardian's id, which is the failure's `itemId` and the field ids' suffix.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Someone on the case whose protected identity keeps them from the citizen view until reviewed. */
export function hasProtectedPerson(subject: {
	protectedIdentity: string;
	guardians: readonly { custody: boolean; protectedIdentity?: string }[];
}) {
	return subject.protectedIdentity !== 'none' || subject.guardians.some((g) => g.custody && (g.protectedIdentity ?? 'none') !== 'none');
}

export const citizenAccessAction: Action<{ id: string }> = async ({ request, locals, params }) => {
	const values = formValues(await request.formData(), ['person', 'guardianId', 'decision', 'reasonCode']);
	const person =
		values.person === 'guardian' && UUID.test(values.guardianId ?? '') ? 'guardian' : values.person === 'subject' ? 'subject' : null;
	if (!person) return formFailure(400, 'citizenAccess', 'cases.problem.unexpected', values);
	const key = person === 'guardian' ? values.guardianId! : 'subject';
	const e: Record<string, MessageKey> = {};
	const decision = ACCESS_DECISIONS.find((d) => d === values.decision);
	const reasonCode = ACCESS_REASONS.find((r) => r === values.reasonCode);
	if (!decision) e[`decision-${key}`] = 'citizenAccess.error.decisionRequired';
	if (!reasonCode) e[`reasonCode-${key}`] = 'citizenAccess.error.reasonRequired';
	if (!decision || !reasonCode) return formFailure(400, 'citizenAccess', 'cases.form.fixErrors', values, e, key);
	const body: RecordCitizenAccessReview = { person, decision, reasonCode, ...(person === 'guardian' ? { guardianId: key } : {}) };
	try {
		await locals.api.consents.requests.recordAccessReview(params.id, body);
	} catch (err) {
		return apiFailure(err, { action: 'citizenAccess', requestId: locals.requestId, values, itemId: key });
	}
	return { action: 'citizenAccess', saved: 'citizenAccess.saved' as const };
};
