import { error, redirect } from '@sveltejs/kit';
import { ApiError, ApiUnavailableError } from '$lib/server/api';
import { areaProblem } from '$lib/server/areas';
import { formFailure, formValues } from '$lib/server/cases';
import type { Actions, PageServerLoad } from './$types';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const notFound = (requestId: string): never => error(404, { message: 'Not found', code: 'not_found', requestId });

export const load: PageServerLoad = async ({ locals, params }) => {
	try {
		const [meeting, picture] = await Promise.all([locals.api.areas.meeting(params.area, params.id), locals.api.areas.picture(params.area)]);
		return { meeting, agencies: picture.agencies, categories: picture.categories };
	} catch (err) {
		if (err instanceof ApiError && (err.status === 400 || err.status === 403 || err.status === 404)) notFound(locals.requestId);
		throw err;
	}
};

/** An API error as the form's answer; `only`: map every field the API named onto these form fields. */
function failure(requestId: string, action: string, err: unknown, values: Record<string, string>, itemId?: string, only?: string) {
	if (err instanceof ApiUnavailableError) return formFailure(503, action, 'areas.problem.unavailable', values, {}, itemId);
	if (!(err instanceof ApiError)) throw err;
	if (err.status === 401) redirect(303, '/login');
	if (err.status === 404) notFound(requestId);
	const { message, fields } = areaProblem(err);
	const named = fields.map((f) => (f.startsWith('decision-') ? 'decisions' : (only ?? f)));
	return formFailure(400, action, message, values, Object.fromEntries(named.map((f) => [f, message])), itemId);
}

export const actions: Actions = {
	save: async ({ locals, params, request }) => {
		const data = await request.formData();
		const values = formValues(data, ['notes', 'minutes', 'decisions']);
		const held = data.get('held') === '1';
		const decisions = values
			.decisions!.split('\n')
			.map((l) => l.trim())
			.filter(Boolean)
			.map((text) => ({ text }));
		try {
			await locals.api.areas.updateMeeting(params.area, params.id, {
				notes: values.notes!,
				minutes: values.minutes!,
				decisions,
				...(held ? { status: 'held' as const } : {})
			});
		} catch (err) {
			return failure(locals.requestId, 'save', err, values);
		}
		return { saved: held ? 'areas.meeting.heldSaved' : 'areas.meeting.saved' };
	},

	addAction: async ({ locals, params, request }) => {
		const values = formValues(await request.formData(), ['what', 'place', 'agencyId', 'dueDate', 'decision']);
		const errors: Record<
			string,
			'areas.action.error.what' | 'areas.action.error.place' | 'areas.action.error.agency' | 'areas.action.error.dueDate'
		> = {};
		if (!values.what) errors.what = 'areas.action.error.what';
		if (!values.place) errors.place = 'areas.action.error.place';
		if (!values.agencyId) errors.agencyId = 'areas.action.error.agency';
		if (!DATE.test(values.dueDate!)) errors.dueDate = 'areas.action.error.dueDate';
		if (Object.keys(errors).length > 0) return formFailure(400, 'addAction', 'areas.form.fixErrors', values, errors, values.decision);
		try {
			await locals.api.areas.addAction(params.area, {
				what: values.what!,
				place: values.place!,
				agencyId: values.agencyId!,
				dueDate: values.dueDate!,
				meetingId: params.id
			});
		} catch (err) {
			return failure(locals.requestId, 'addAction', err, values, values.decision);
		}
		return { saved: 'areas.action.saved' };
	},

	followUp: async ({ locals, request }) => {
		const values = formValues(await request.formData(), ['actionId', 'status', 'followUp']);
		const status = values.status === 'done' || values.status === 'cancelled' || values.status === 'open' ? values.status : undefined;
		try {
			await locals.api.areas.followUp(values.actionId!, { followUp: values.followUp!, ...(status ? { status } : {}) });
		} catch (err) {
			return failure(locals.requestId, 'followUp', err, values, values.actionId, 'followUp');
		}
		return { saved: 'areas.action.followedUp' };
	}
};
