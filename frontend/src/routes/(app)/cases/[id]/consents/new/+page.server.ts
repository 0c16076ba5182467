import { redirect } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError } from '$lib/server/api';
import { apiFailure, formFailure, formValues, readOrNotFound, reopenAction } from '$lib/server/cases';
import {
	CONSENT_METHODS,
	consentFieldFor,
	consentProblem,
	MAX_VALIDITY_MONTHS,
	type ConsentMethod,
	type RecordConsentRequest
} from '$lib/server/consents';
import type { Actions, PageServerLoad } from './$types';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isDate = (v: string) =>
	DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Today on the municipality's calendar, as the API counts consent periods. */
const stockholmToday = () => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(new Date());

/** Who must consent today comes from the consent matrix (the API applies policies/consent.yaml). */
export const load: PageServerLoad = async ({ locals, params }) => {
	const matrix = await readOrNotFound(locals.api.consents.matrix(params.id), locals.requestId);
	return {
		required: { subjectAge: matrix.subjectAge, parties: matrix.requiredParties },
		today: stockholmToday(),
		maxMonths: MAX_VALIDITY_MONTHS
	};
};

const TEXT_FIELDS = ['givenBy', 'method', 'evidenceRef', 'witness', 'purpose', 'validFrom', 'validTo'] as const;

export const actions = {
	record: async ({ request, locals, params }) => {
		const form = await request.formData();
		const values = formValues(form, TEXT_FIELDS);
		const agencyIds = form
			.getAll('agencyIds')
			.map(String)
			.filter((v) => UUID.test(v));
		const categories = form
			.getAll('categories')
			.map(String)
			.filter((v) => /^[a-z_]{1,40}$/.test(v));
		values.agencyIds = agencyIds.join(',');
		values.categories = categories.join(',');

		const e: Record<string, MessageKey> = {};
		let givenBy: RecordConsentRequest['givenBy'] | null = null;
		if (values.givenBy === 'subject') givenBy = { kind: 'subject' };
		else if (values.givenBy?.startsWith('guardian:') && UUID.test(values.givenBy.slice(9)))
			givenBy = { kind: 'guardian', guardianId: values.givenBy.slice(9) };
		else e.givenBy = 'consents.error.givenByRequired';
		const method = (CONSENT_METHODS as readonly string[]).includes(values.method ?? '') ? (values.method as ConsentMethod) : null;
		if (!method) e.method = 'consents.error.methodRequired';
		else if (method === 'oral') {
			if (!values.witness) e.witness = 'consents.error.witnessRequired';
			else if (values.witness.length > 200) e.witness = 'consents.error.tooLong';
		} else if (!values.evidenceRef) e.evidenceRef = 'consents.error.evidenceRequired';
		else if (values.evidenceRef.length > 500) e.evidenceRef = 'consents.error.tooLong';
		if (agencyIds.length < 2) e.agencies = 'consents.error.agenciesTooFew';
		if (!values.purpose) e.purpose = 'consents.error.purposeRequired';
		else if (values.purpose.length > 2000) e.purpose = 'consents.error.tooLong';
		if (!isDate(values.validFrom ?? '')) e.validFrom = 'consents.error.validFromInvalid';
		if (!isDate(values.validTo ?? '')) e.validTo = 'consents.error.validToInvalid';
		else if (!e.validFrom && values.validTo! < values.validFrom!) e.validTo = 'consents.problem.invalidPeriod';
		if (Object.keys(e).length > 0 || !givenBy || !method) return formFailure(400, 'record', 'cases.form.fixErrors', values, e);

		try {
			await locals.api.consents.record(params.id, {
				givenBy,
				agencyIds,
				categories,
				purpose: values.purpose!,
				validFrom: values.validFrom!,
				validTo: values.validTo!,
				method,
				// Only the proof the method calls for; the other field may hold text from an earlier choice.
				...(method === 'oral' ? { witness: values.witness! } : { evidenceRef: values.evidenceRef! })
			});
		} catch (err) {
			const known = err instanceof ApiError ? consentProblem(err) : null;
			if (known) {
				const status = err instanceof ApiError && err.status === 409 ? 409 : 400;
				return formFailure(status, 'record', known.message, values, known.field ? { [known.field]: known.message } : {});
			}
			return apiFailure(err, { action: 'record', requestId: locals.requestId, values, fieldFor: consentFieldFor });
		}
		redirect(303, `/cases/${params.id}/consents?saved=recorded`);
	},

	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
