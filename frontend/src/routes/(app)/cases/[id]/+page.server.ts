import { apiFailure, formFailure, formValues, reopenAction, type UpdateCaseRequest } from '$lib/server/cases';
import type { Actions } from './$types';

const PHASES = ['assessment', 'intensive', 'transition', 'aftercare'];

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
		const values = formValues(await request.formData(), ['agencyId']);
		try {
			await locals.api.cases.removeParticipant(params.id, values.agencyId ?? '');
		} catch (err) {
			return apiFailure(err, { action: 'removeParticipant', requestId: locals.requestId, values, itemId: values.agencyId });
		}
		return { action: 'removeParticipant', saved: 'cases.overview.participantRemoved' as const };
	},

	reopen: reopenAction
} satisfies Actions;
