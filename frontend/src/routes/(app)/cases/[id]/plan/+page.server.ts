import type { MessageKey } from '$lib/i18n/messages';
import { apiFailure, formFailure, formValues, reopenAction, PLAN_ITEM_STATUSES, type UpdatePlanItemRequest } from '$lib/server/cases';
import type { Actions } from './$types';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isDate = (v: string) => DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));

export const actions = {
	addItem: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), ['lifeArea', 'goal', 'action', 'responsibleAgencyId', 'dueDate']);
		const e: Record<string, MessageKey> = {};
		if (!values.lifeArea) e.lifeArea = 'cases.plan.error.lifeAreaRequired';
		if (!values.goal) e.goal = 'cases.plan.error.goalRequired';
		else if (values.goal.length > 2000) e.goal = 'cases.plan.error.tooLong';
		if (!values.action) e.action = 'cases.plan.error.actionRequired';
		else if (values.action.length > 2000) e.action = 'cases.plan.error.tooLong';
		if (!values.responsibleAgencyId) e.responsibleAgencyId = 'cases.plan.error.responsibleRequired';
		if (values.dueDate && !isDate(values.dueDate)) e.dueDate = 'cases.plan.error.dueDateInvalid';
		if (Object.keys(e).length > 0) return formFailure(400, 'addItem', 'cases.form.fixErrors', values, e);
		try {
			await locals.api.cases.createPlanItem(params.id, {
				lifeArea: values.lifeArea!,
				goal: values.goal!,
				action: values.action!,
				responsibleAgencyId: values.responsibleAgencyId!,
				dueDate: values.dueDate || null
			});
		} catch (err) {
			return apiFailure(err, {
				action: 'addItem',
				requestId: locals.requestId,
				values,
				fieldFor: (p) => ['lifeArea', 'goal', 'action', 'responsibleAgencyId', 'dueDate'].find((f) => p.startsWith(f)) ?? null,
				codeField: { unknown_life_area: 'lifeArea', agency_not_in_case: 'responsibleAgencyId', due_date_past: 'dueDate' }
			});
		}
		return { action: 'addItem', saved: 'cases.plan.added' as const };
	},

	/**
	 * Change an item (goal, action, responsible agency, due date, status) and/or add a follow-up
	 * note. The form sends the item as shown; the API keeps in the history only what changed.
	 */
	updateItem: async ({ request, locals, params }) => {
		const values = formValues(await request.formData(), [
			'itemId',
			'goal',
			'action',
			'responsibleAgencyId',
			'dueDate',
			'status',
			'followUp'
		]);
		const itemId = values.itemId ?? '';
		const body: UpdatePlanItemRequest = {};
		const e: Record<string, MessageKey> = {};
		for (const f of ['goal', 'action'] as const) {
			const v = values[f] ?? '';
			if (!v) e[`${f}-${itemId}`] = f === 'goal' ? 'cases.plan.error.goalRequired' : 'cases.plan.error.actionRequired';
			else if (v.length > 2000) e[`${f}-${itemId}`] = 'cases.plan.error.tooLong';
			else body[f] = v;
		}
		if (values.responsibleAgencyId) body.responsibleAgencyId = values.responsibleAgencyId;
		if (values.dueDate && !isDate(values.dueDate)) e[`dueDate-${itemId}`] = 'cases.plan.error.dueDateInvalid';
		else body.dueDate = values.dueDate || null;
		if (values.status) {
			if ((PLAN_ITEM_STATUSES as readonly string[]).includes(values.status)) body.status = values.status as UpdatePlanItemRequest['status'];
			else e[`status-${itemId}`] = 'cases.plan.error.statusInvalid';
		}
		if (values.followUp) {
			if (values.followUp.length > 5000) e[`followUp-${itemId}`] = 'cases.plan.error.tooLong';
			else body.followUp = values.followUp;
		}
		if (Object.keys(e).length > 0) return formFailure(400, 'updateItem', 'cases.form.fixErrors', values, e, itemId);
		try {
			await locals.api.cases.updatePlanItem(params.id, itemId, body);
		} catch (err) {
			return apiFailure(err, {
				action: 'updateItem',
				requestId: locals.requestId,
				values,
				itemId,
				fieldFor: (p) => {
					const f = ['goal', 'action', 'responsibleAgencyId', 'dueDate', 'status', 'followUp'].find((name) => p.startsWith(name));
					return f ? `${f}-${itemId}` : null;
				},
				codeField: { agency_not_in_case: `responsibleAgencyId-${itemId}` }
			});
		}
		return { action: 'updateItem', saved: 'cases.plan.updated' as const, itemId };
	},

	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
