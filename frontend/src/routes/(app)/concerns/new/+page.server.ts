import { redirect } from '@sveltejs/kit';
import { parsePersonnummer } from '$lib/components/cases/personnummer';
import { CONCERN_PROBLEMS } from '$lib/components/concerns/problems';
import { stockholmDate } from '$lib/format/person';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError } from '$lib/server/api';
import { apiFailure, formFailure, formValues } from '$lib/server/cases';
import type { RaiseConcernRequest } from '$lib/server/concerns';
import type { Actions, PageServerLoad } from './$types';

const FIELDS = [
	'pin',
	'firstName',
	'lastName',
	'birthDate',
	'area',
	'observation',
	'observedOn',
	'observedPlace',
	'assessment',
	'guardiansInformed',
	'phone',
	'email',
	'urgency'
] as const;
const URGENCIES = ['acute', 'urgent', 'normal'] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PHONE = /^[0-9+() -]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const load: PageServerLoad = async ({ locals }) => {
	const user = locals.user;
	const canRaise = !!user?.roles.includes('partner') && user.agency.kind !== 'social_services';
	if (!canRaise) return { forbidden: true as const };
	const options = await locals.api.concerns.options();
	return { forbidden: false as const, areas: options.areas, urgencies: options.urgencies, today: stockholmDate(new Date()) };
};

/** The checks the API makes too, so that each mistake is named on its field before anything is sent. */
function validate(v: Record<string, string>): Record<string, MessageKey> {
	const e: Record<string, MessageKey> = {};
	const today = stockholmDate(new Date());
	if (v.pin) {
		if (!parsePersonnummer(v.pin)) e.pin = 'concerns.error.pinInvalid';
	} else {
		if (!v.firstName) e.firstName = 'concerns.error.personMissing';
		if (!v.lastName) e.lastName = 'concerns.error.personMissing';
		if (!v.birthDate) e.birthDate = 'concerns.error.personMissing';
		if (!v.firstName && !v.lastName && !v.birthDate) e.pin = 'concerns.error.personMissing';
	}
	if (v.birthDate && (!DATE.test(v.birthDate) || v.birthDate > today)) e.birthDate = 'concerns.error.birthDateInvalid';
	for (const f of ['firstName', 'lastName'] as const) if ((v[f] ?? '').length > 100) e[f] = 'concerns.error.tooLong';
	if (!v.area) e.area = 'concerns.error.areaRequired';
	if (!v.observation) e.observation = 'concerns.error.observationRequired';
	else if (v.observation.length > 5000) e.observation = 'concerns.error.tooLong';
	if (!v.observedOn || !DATE.test(v.observedOn) || v.observedOn > today) e.observedOn = 'concerns.error.observedOnInvalid';
	if (!v.observedPlace) e.observedPlace = 'concerns.error.placeRequired';
	else if (v.observedPlace.length > 300) e.observedPlace = 'concerns.error.tooLong';
	if (!v.assessment) e.assessment = 'concerns.error.assessmentRequired';
	else if (v.assessment.length > 5000) e.assessment = 'concerns.error.tooLong';
	if (v.guardiansInformed !== 'yes' && v.guardiansInformed !== 'no') e['guardiansInformed-yes'] = 'concerns.error.guardiansRequired';
	if (!v.phone && !v.email) e.phone = 'concerns.error.contactRequired';
	if (v.phone && (!PHONE.test(v.phone) || v.phone.length > 40)) e.phone = 'concerns.error.phoneInvalid';
	if (v.email && (!EMAIL.test(v.email) || v.email.length > 254)) e.email = 'concerns.error.emailInvalid';
	if (!(URGENCIES as readonly string[]).includes(v.urgency ?? '')) e['urgency-acute'] = 'concerns.error.urgencyRequired';
	return e;
}

export const actions = {
	default: async ({ request, locals }) => {
		const values = formValues(await request.formData(), FIELDS);
		const fieldErrors = validate(values);
		if (Object.keys(fieldErrors).length > 0) return formFailure(400, 'raise', 'concerns.error.fix', values, fieldErrors);
		const body: RaiseConcernRequest = {
			person: values.pin
				? {
						personalIdentityNumber: values.pin,
						...(values.firstName ? { firstName: values.firstName } : {}),
						...(values.lastName ? { lastName: values.lastName } : {})
					}
				: { firstName: values.firstName!, lastName: values.lastName!, birthDate: values.birthDate! },
			area: values.area!,
			observation: values.observation!,
			observedOn: values.observedOn!,
			observedPlace: values.observedPlace!,
			assessment: values.assessment!,
			guardiansInformed: values.guardiansInformed === 'yes',
			contact: { ...(values.phone ? { phone: values.phone } : {}), ...(values.email ? { email: values.email } : {}) },
			urgency: values.urgency as RaiseConcernRequest['urgency']
		};
		let reference: string;
		try {
			reference = (await locals.api.concerns.raise(body)).reference;
		} catch (err) {
			if (err instanceof ApiError && err.status === 400) {
				const known = CONCERN_PROBLEMS[err.problem?.type?.split(':').pop() ?? ''];
				if (known) return formFailure(400, 'raise', known.message, values, known.field ? { [known.field]: known.message } : {});
			}
			return apiFailure(err, { action: 'raise', requestId: locals.requestId, values });
		}
		redirect(303, `/concerns?sent=${encodeURIComponent(reference)}`);
	}
} satisfies Actions;
