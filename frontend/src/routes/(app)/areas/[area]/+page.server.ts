import { error, redirect } from '@sveltejs/kit';
import { ApiError, ApiUnavailableError } from '$lib/server/api';
import { areaProblem } from '$lib/server/areas';
import { formFailure, formValues } from '$lib/server/cases';
import type { MessageKey } from '$lib/i18n/messages';
import type { Actions, PageServerLoad } from './$types';
import { stockholmInstant } from './stockholm';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const OBSERVATION_FIELDS = [
	'date',
	'time',
	'place',
	'latitude',
	'longitude',
	'category',
	'groupSize',
	'ageFrom',
	'ageTo',
	'description'
] as const;

const notFound = (requestId: string): never => error(404, { message: 'Not found', code: 'not_found', requestId });

export const load: PageServerLoad = async ({ locals, params, url }) => {
	const filter = {
		from: DATE.test(url.searchParams.get('from') ?? '') ? url.searchParams.get('from')! : undefined,
		to: DATE.test(url.searchParams.get('to') ?? '') ? url.searchParams.get('to')! : undefined,
		category: url.searchParams.get('category') || undefined,
		page: Math.max(1, Number(url.searchParams.get('page')) || 1)
	};
	try {
		const [picture, observations] = await Promise.all([
			locals.api.areas.picture(params.area),
			locals.api.areas.observations(params.area, filter).catch((err: unknown) => {
				// A filter the API refuses (a reversed period, an unknown category) shows the unfiltered list with a note.
				if (err instanceof ApiError && err.status === 400) return null;
				throw err;
			})
		]);
		const list = observations ?? (await locals.api.areas.observations(params.area, { page: 1 }));
		return { picture, observations: list, filter, filterRefused: observations === null };
	} catch (err) {
		// An unknown area, or one the caller's agency does not work in: the same page as for a missing one.
		if (err instanceof ApiError && (err.status === 400 || err.status === 403)) notFound(locals.requestId);
		throw err;
	}
};

/** An API error as the form's answer; `field`: the form's one text field, which every named field maps onto. */
function failure(action: string, err: unknown, values: Record<string, string>, field?: string, itemId?: string) {
	if (err instanceof ApiUnavailableError) return formFailure(503, action, 'areas.problem.unavailable', values, {}, itemId);
	if (!(err instanceof ApiError)) throw err;
	if (err.status === 401) redirect(303, '/login');
	const { message, fields } = areaProblem(err);
	const named = field ? (fields.length > 0 ? [field] : []) : fields;
	return formFailure(400, action, message, values, Object.fromEntries(named.map((f) => [f, message])), itemId);
}

const number = (value: string): number | undefined => (value === '' ? undefined : Number(value.replace(',', '.')));

export const actions: Actions = {
	observe: async ({ locals, params, request }) => {
		const values = formValues(await request.formData(), OBSERVATION_FIELDS);
		const errors: Record<string, MessageKey> = {};
		if (!DATE.test(values.date!)) errors.date = 'areas.observe.error.date';
		if (!/^\d{2}:\d{2}$/.test(values.time!)) errors.time = 'areas.observe.error.time';
		if (!values.place) errors.place = 'areas.observe.error.place';
		if (!values.category) errors.category = 'areas.observe.error.category';
		if (!values.description) errors.description = 'areas.observe.error.description';
		const lat = number(values.latitude!);
		const lon = number(values.longitude!);
		if ((lat === undefined) !== (lon === undefined) || (lat !== undefined && !(lat >= -90 && lat <= 90)))
			errors.latitude = 'areas.observe.error.point';
		if (lon !== undefined && !(lon >= -180 && lon <= 180)) errors.longitude = 'areas.observe.error.point';
		const ints = { groupSize: number(values.groupSize!), ageFrom: number(values.ageFrom!), ageTo: number(values.ageTo!) };
		for (const [k, v] of Object.entries(ints))
			if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 1000)) errors[k] = 'areas.observe.error.number';
		if (Object.keys(errors).length > 0) return formFailure(400, 'observe', 'areas.form.fixErrors', values, errors);
		try {
			await locals.api.areas.observe(params.area, {
				observedAt: stockholmInstant(values.date!, values.time!),
				place: values.place!,
				...(lat !== undefined && lon !== undefined ? { location: { latitude: lat, longitude: lon } } : {}),
				category: values.category!,
				...(ints.groupSize !== undefined ? { groupSize: ints.groupSize } : {}),
				...(ints.ageFrom !== undefined ? { ageFrom: ints.ageFrom } : {}),
				...(ints.ageTo !== undefined ? { ageTo: ints.ageTo } : {}),
				description: values.description!
			});
		} catch (err) {
			return failure('observe', err, values);
		}
		return { saved: 'areas.observe.saved' };
	},

	hide: async ({ locals, request }) => {
		const values = formValues(await request.formData(), ['id', 'reason']);
		if (!values.reason) return formFailure(400, 'hide', 'areas.form.fixErrors', values, { reason: 'areas.hide.error.reason' }, values.id);
		try {
			await locals.api.areas.hide(values.id!, values.reason);
		} catch (err) {
			if (err instanceof ApiError && err.status === 404) notFound(locals.requestId);
			return failure('hide', err, values, 'reason', values.id);
		}
		return { saved: 'areas.hide.saved' };
	},

	planMeeting: async ({ locals, params, request }) => {
		const values = formValues(await request.formData(), ['meetingDate', 'notes']);
		if (!DATE.test(values.meetingDate!))
			return formFailure(400, 'planMeeting', 'areas.form.fixErrors', values, { meetingDate: 'areas.meeting.error.date' });
		let id: string;
		try {
			id = (
				await locals.api.areas.planMeeting(params.area, { date: values.meetingDate!, ...(values.notes ? { notes: values.notes } : {}) })
			).id;
		} catch (err) {
			return failure('planMeeting', err, values, 'notes');
		}
		redirect(303, `/areas/${encodeURIComponent(params.area)}/meetings/${id}`);
	}
};
