import { apiFailure, formFailure, formValues, readOrNotFound, reopenAction, type UpdateCaseRequest } from '$lib/server/cases';
import { citizenAccessAction, hasProtectedPerson } from '$lib/server/citizen-access';
import { contactAction } from '$lib/server/network';
import type { Actions, PageServerLoad } from './$types';

const PHASES = ['assessment', 'intensive', 'transition', 'aftercare'];

/** The owning unit sees who may hold the case and who has held it; nobody else may ask. */
export const load: PageServerLoad = async ({ locals, params, parent }) => {
	const { owner, detail } = await parent();
	if (!owner) return { caseworkers: [], responsibilityHistory: [], accessReviews: [] };
	const [caseworkers, responsibilityHistory, accessReviews] = await Promise.all([
		readOrNotFound(locals.api.cases.caseworkers(params.id), locals.requestId),
		readOrNotFound(locals.api.cases.responsibilityHistory(params.id), locals.requestId),
		// Only asked for when someone's protected identity keeps them from the citizen view.
		hasProtectedPerson(detail.subject) ? readOrNotFound(locals.api.consents.requests.accessReviews(params.id), locals.requestId) : []
	]);
	return { caseworkers, responsibilityHistory, accessReviews };
};

export const actions = {
	/** open → active: the only status change besides closing and reopening. */
	activate: async ({ locals, params }) => {
		try {
			await locals.api.cases.update(params.id, { status: 'active' });
		} catch (err) {
			return apiFailure(err, { action: 'status', requestId: locals.requestId, values: {} });
		}
		return { action: 'status', saved: 'cases.overview.statusSaved' as const };
	},

	phase: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), ['phase']);
		if (!PHASES.includes(values.phase ?? ''))
			return formFailure(400, 'phase', 'cases.overview.error.phaseRequired', values, { phase: 'cases.overview.error.phaseRequired' });
		try {
			await locals.api.cases.update(params.id, { phase: values.phase as UpdateCaseRequest['phase'] });
		} catch (err) {
			return apiFailure(err, { action: 'phase', requestId: locals.requestId, values, codeField: { phase_not_applicable: 'phase' } });
		}
		return { action: 'phase', saved: 'cases.overview.phaseSaved' as const };
	},

	details: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), ['reason', 'area']);
		const fieldErrors: Record<string, 'cases.new.error.reasonRequired' | 'cases.new.error.reasonTooLong' | 'cases.new.error.areaRequired'> =
			{};
		if (!values.reason) fieldErrors.reason = 'cases.new.error.reasonRequired';
		else if (values.reason.length > 5000) fieldErrors.reason = 'cases.new.error.reasonTooLong';
		if (!values.area) fieldErrors.area = 'cases.new.error.areaRequired';
		if (Object.keys(fieldErrors).length > 0) return formFailure(400, 'details', 'cases.form.fixErrors', values, fieldErrors);
		try {
			await locals.api.cases.update(params.id, { reason: values.reason!, area: values.area! });
		} catch (err) {
			return apiFailure(err, {
				action: 'details',
				requestId: locals.requestId,
				values,
				fieldFor: (p) => (p.startsWith('reason') ? 'reason' : p.startsWith('area') ? 'area' : null),
				codeField: { unknown_area: 'area' }
			});
		}
		return { action: 'details', saved: 'cases.overview.detailsSaved' as const };
	},

	addParticipant: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), ['agencyId']);
		if (!values.agencyId)
			return formFailure(400, 'addParticipant', 'cases.overview.error.agencyRequired', values, {
				agencyId: 'cases.overview.error.agencyRequired'
			});
		try {
			await locals.api.cases.addParticipant(params.id, values.agencyId);
		} catch (err) {
			return apiFailure(err, {
				action: 'addParticipant',
				requestId: locals.requestId,
				values,
				fieldFor: (p) => (p.startsWith('agencyId') ? 'agencyId' : null),
				codeField: { already_participant: 'agencyId', unknown_agency: 'agencyId', owner_as_participant: 'agencyId' }
			});
		}
		return { action: 'addParticipant', saved: 'cases.overview.participantAdded' as const };
	},

	removeParticipant: async ({ request, locals, params }) => {
		// `reassignTo`: who takes over the agency's open plan actions (asked for after a refusal).
		const values = formValues(await request.formData(), ['agencyId', 'reassignTo']);
		try {
			await locals.api.cases.removeParticipant(params.id, values.agencyId ?? '', values.reassignTo || undefined);
		} catch (err) {
			return apiFailure(err, { action: 'removeParticipant', requestId: locals.requestId, values, itemId: values.agencyId });
		}
		return { action: 'removeParticipant', saved: 'cases.overview.participantRemoved' as const };
	},

	transfer: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), ['userId']);
		if (!values.userId)
			return formFailure(400, 'transfer', 'cases.overview.transferRequired', values, { userId: 'cases.overview.transferRequired' });
		try {
			await locals.api.cases.transfer(params.id, values.userId);
		} catch (err) {
			return apiFailure(err, {
				action: 'transfer',
				requestId: locals.requestId,
				values,
				fieldFor: (p) => (p.startsWith('userId') ? 'userId' : null),
				codeField: { transfer_target_invalid: 'userId', already_responsible: 'userId' }
			});
		}
		return { action: 'transfer', saved: 'cases.overview.transferred' as const };
	},

	deputy: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), ['deputyUserId']);
		try {
			await locals.api.cases.update(params.id, { deputyUserId: values.deputyUserId || null });
		} catch (err) {
			return apiFailure(err, {
				action: 'deputy',
				requestId: locals.requestId,
				values,
				fieldFor: (p) => (p.startsWith('deputyUserId') ? 'deputyUserId' : null),
				codeField: { deputy_invalid: 'deputyUserId', deputy_is_responsible: 'deputyUserId' }
			});
		}
		return { action: 'deputy', saved: 'cases.overview.deputySaved' as const };
	},

	/** One agency's contact in the network around the person. */
	contact: contactAction,

	/** Whether a person with protected identity may use the citizen view (the owning social worker). */
	citizenAccess: citizenAccessAction,

	reopen: reopenAction
} satisfies Actions;
