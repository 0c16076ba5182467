import type { MessageKey } from '$lib/i18n/messages';
import { apiFailure, formFailure, formValues, readOrNotFound, reopenAction } from '$lib/server/cases';
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

	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
