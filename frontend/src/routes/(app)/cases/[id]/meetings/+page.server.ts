import type { MessageKey } from '$lib/i18n/messages';
import { apiFailure, formFailure, formValues, readOrNotFound, reopenAction } from '$lib/server/cases';
import { meetingProblem, stockholmInstant } from '$lib/server/meetings';
import type { Actions, PageServerLoad } from './$types';

const PAGE_SIZE = 20;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const load: PageServerLoad = async ({ locals, params, url }) => {
	const n = Number(url.searchParams.get('page'));
	const page = Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1;
	return { meetings: await readOrNotFound(locals.api.cases.meetings(params.id, page, PAGE_SIZE), locals.requestId) };
};

/** One per line, blank lines dropped. */
const lines = (text: string) =>
	text
		.split(/\r?\n/)
		.map((l) => l.trim())
		.filter(Boolean);

export const actions = {
	addMeeting: async ({ request, locals, params }) => {
		const form = await request.formData();
		const values = formValues(form, ['date', 'agenda', 'minutes', 'people', 'decisions']);
		const agencyIds = form.getAll('agencyIds').map(String);
		values.agencyIds = agencyIds.join(',');
		const people = lines(values.people ?? '');
		const decisions = lines(values.decisions ?? '');
		const e: Record<string, MessageKey> = {};
		if (!values.date) e.date = 'cases.meetings.error.dateRequired';
		else if (!DATE.test(values.date) || Number.isNaN(Date.parse(`${values.date}T00:00:00Z`))) e.date = 'cases.meetings.error.dateInvalid';
		if (agencyIds.length === 0) e.agencies = 'cases.meetings.error.agenciesRequired';
		if (!values.agenda) e.agenda = 'cases.meetings.error.agendaRequired';
		else if (values.agenda.length > 20000) e.agenda = 'cases.meetings.error.tooLong';
		if ((values.minutes ?? '').length > 20000) e.minutes = 'cases.meetings.error.tooLong';
		if (people.length > 50 || people.some((p) => p.length > 200)) e.people = 'cases.meetings.error.peopleInvalid';
		if (decisions.length > 50 || decisions.some((d) => d.length > 5000)) e.decisions = 'cases.meetings.error.decisionsInvalid';
		if (Object.keys(e).length > 0) return formFailure(400, 'addMeeting', 'cases.form.fixErrors', values, e);
		try {
			await locals.api.cases.createMeeting(params.id, {
				date: values.date!,
				agencyIds,
				agenda: values.agenda!,
				minutes: values.minutes ?? '',
				people,
				decisions: decisions.map((text) => ({ text }))
			});
		} catch (err) {
			return apiFailure(err, {
				action: 'addMeeting',
				requestId: locals.requestId,
				values,
				fieldFor: (p) =>
					p.startsWith('agencyIds')
						? 'agencies'
						: (['date', 'agenda', 'minutes', 'people', 'decisions'].find((f) => p.startsWith(f)) ?? null),
				codeField: { agency_not_in_case: 'agencies', unknown_agency: 'agencies' }
			});
		}
		return { action: 'addMeeting', saved: 'cases.meetings.saved' as const };
	},

	/** A meeting ahead: time, place (or digital), invited agencies and staff, agenda. */
	planMeeting: async ({ request, locals, params }) => {
		const form = await request.formData();
		const values = formValues(form, ['date', 'start', 'end', 'place', 'invitees', 'agenda']);
		const agencyIds = form.getAll('agencyIds').map(String);
		const digital = form.get('digital') === 'on';
		values.agencyIds = agencyIds.join(',');
		values.digital = digital ? 'on' : '';
		const invitees = lines(values.invitees ?? '');
		const e: Record<string, MessageKey> = {};
		const date = values.date ?? '';
		if (!DATE.test(date)) e.date = 'meetings.error.dateRequired';
		const startsAt = stockholmInstant(date, values.start ?? '');
		const endsAt = stockholmInstant(date, values.end ?? '');
		if (DATE.test(date) && !startsAt) e.start = 'meetings.error.timeInvalid';
		if (DATE.test(date) && !endsAt) e.end = 'meetings.error.timeInvalid';
		if (startsAt && endsAt && endsAt <= startsAt) e.end = 'meetings.error.endsBeforeStart';
		if (!digital && !values.place) e.place = 'meetings.error.placeRequired';
		if (agencyIds.length === 0) e.agencies = 'cases.meetings.error.agenciesRequired';
		if (!values.agenda) e.agenda = 'cases.meetings.error.agendaRequired';
		if (invitees.length > 50 || invitees.some((p) => p.length > 200)) e.invitees = 'cases.meetings.error.peopleInvalid';
		if (Object.keys(e).length > 0) return formFailure(400, 'planMeeting', 'cases.form.fixErrors', values, e);
		try {
			await locals.api.cases.createMeeting(params.id, {
				status: 'planned',
				startsAt: startsAt!,
				endsAt: endsAt!,
				place: digital ? 'digital' : values.place!,
				agencyIds,
				invitees,
				agenda: values.agenda!
			});
		} catch (err) {
			const known = meetingProblem(err);
			if (known) return formFailure(400, 'planMeeting', known.message, values, known.field ? { [known.field]: known.message } : {});
			return apiFailure(err, { action: 'planMeeting', requestId: locals.requestId, values, codeField: { agency_not_in_case: 'agencies' } });
		}
		return { action: 'planMeeting', saved: 'meetings.plan.saved' as const };
	},

	moveMeeting: async ({ request, locals, params }) => {
		const form = await request.formData();
		const meetingId = String(form.get('meetingId') ?? '');
		const values = formValues(form, ['date', 'start', 'end', 'place']);
		const digital = form.get('digital') === 'on';
		const e: Record<string, MessageKey> = {};
		const startsAt = stockholmInstant(values.date ?? '', values.start ?? '');
		const endsAt = stockholmInstant(values.date ?? '', values.end ?? '');
		if (!DATE.test(values.date ?? '')) e.date = 'meetings.error.dateRequired';
		else if (!startsAt) e.start = 'meetings.error.timeInvalid';
		else if (!endsAt) e.end = 'meetings.error.timeInvalid';
		else if (endsAt <= startsAt) e.end = 'meetings.error.endsBeforeStart';
		if (!digital && !values.place) e.place = 'meetings.error.placeRequired';
		if (Object.keys(e).length > 0) return formFailure(400, 'moveMeeting', 'cases.form.fixErrors', values, e, meetingId);
		try {
			await locals.api.meetings.update(params.id, meetingId, {
				startsAt: startsAt!,
				endsAt: endsAt!,
				place: digital ? 'digital' : values.place!
			});
		} catch (err) {
			const known = meetingProblem(err);
			if (known)
				return formFailure(400, 'moveMeeting', known.message, values, known.field ? { [known.field]: known.message } : {}, meetingId);
			return apiFailure(err, { action: 'moveMeeting', requestId: locals.requestId, values, itemId: meetingId });
		}
		return { action: 'moveMeeting', saved: 'meetings.move.saved' as const };
	},

	cancelMeeting: async ({ request, locals, params }) => {
		const meetingId = String((await request.formData()).get('meetingId') ?? '');
		try {
			await locals.api.meetings.update(params.id, meetingId, { status: 'cancelled' });
		} catch (err) {
			const known = meetingProblem(err);
			if (known) return formFailure(409, 'cancelMeeting', known.message, {}, {}, meetingId);
			return apiFailure(err, { action: 'cancelMeeting', requestId: locals.requestId, values: {}, itemId: meetingId });
		}
		return { action: 'cancelMeeting', saved: 'meetings.cancel.saved' as const };
	},

	/** Attendance, minutes, decisions; one decision may become a plan action. */
	holdMeeting: async ({ request, locals, params }) => {
		const form = await request.formData();
		const meetingId = String(form.get('meetingId') ?? '');
		const values = formValues(form, ['people', 'minutes', 'decisions', 'actionText', 'lifeArea', 'responsibleAgencyId']);
		const attended = form.getAll('attended').map(String);
		values.attended = attended.join(',');
		const people = lines(values.people ?? '');
		const decisions = lines(values.decisions ?? '');
		const e: Record<string, MessageKey> = {};
		if (attended.length === 0) e.attended = 'meetings.error.attendanceRequired';
		if (!values.minutes) e.minutes = 'meetings.error.minutesRequired';
		else if (values.minutes.length > 20000) e.minutes = 'cases.meetings.error.tooLong';
		if (people.length > 50 || people.some((p) => p.length > 200)) e.people = 'cases.meetings.error.peopleInvalid';
		if (decisions.length > 49 || decisions.some((d) => d.length > 5000)) e.decisions = 'cases.meetings.error.decisionsInvalid';
		const actionParts = [values.actionText, values.lifeArea, values.responsibleAgencyId].filter(Boolean).length;
		if (actionParts > 0 && actionParts < 3) e.actionText = 'meetings.error.actionIncomplete';
		if (Object.keys(e).length > 0) return formFailure(400, 'holdMeeting', 'cases.form.fixErrors', values, e, meetingId);
		const action = actionParts === 3 ? values.actionText! : null;
		try {
			await locals.api.meetings.update(params.id, meetingId, {
				status: 'held',
				attendance: { agencyIds: attended, people },
				minutes: values.minutes!,
				decisions: [
					...decisions.map((text) => ({ text })),
					...(action
						? [
								{
									text: action,
									planItem: { lifeArea: values.lifeArea!, goal: action, action, responsibleAgencyId: values.responsibleAgencyId! }
								}
							]
						: [])
				]
			});
		} catch (err) {
			const known = meetingProblem(err);
			if (known)
				return formFailure(400, 'holdMeeting', known.message, values, known.field ? { [known.field]: known.message } : {}, meetingId);
			return apiFailure(err, {
				action: 'holdMeeting',
				requestId: locals.requestId,
				values,
				itemId: meetingId,
				codeField: { agency_not_in_case: 'attended', unknown_life_area: 'lifeArea' }
			});
		}
		return { action: 'holdMeeting', saved: 'meetings.hold.saved' as const };
	},

	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
