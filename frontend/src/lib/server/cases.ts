import { error, fail, redirect } from '@sveltejs/kit';
import type { paths } from '$lib/api/schema';
import type { MessageKey } from '$lib/i18n/messages';
import type { FormFailure } from '$lib/components/forms/forms';
import { ApiError, ApiUnavailableError, problemCode, type Call, type Json } from './http';

/**
 * The cases part of the API client (bound to the request's token by `createApi`), and how its
 * problems become messages on a form. Server-side only.
 */

export type CaseDetail = Json<paths['/api/cases/{id}']['get']['responses'][200]>;
export type CaseListPage = Json<paths['/api/cases/search']['post']['responses'][200]>;
export type CaseListItem = CaseListPage['items'][number];
export type CaseFilter = Json<paths['/api/cases/search']['post']['requestBody']>;
export type CaseOptions = Json<paths['/api/cases/options']['get']['responses'][200]>;
export type CaseStats = Json<paths['/api/cases/stats']['get']['responses'][200]>;
export type GroupStats = Json<paths['/api/stats/groups']['get']['responses'][200]>;
export type CreateCaseRequest = Json<paths['/api/cases']['post']['requestBody']>;
export type UpdateCaseRequest = Json<paths['/api/cases/{id}']['patch']['requestBody']>;
export type Participant = CaseDetail['participants'][number];
export type EntryPage = Json<paths['/api/cases/{id}/entries']['get']['responses'][200]>;
export type Entry = EntryPage['items'][number];
export type CreateEntryRequest = Json<paths['/api/cases/{id}/entries']['post']['requestBody']>;
export type PlanItem = CaseDetail['planItems'][number];
export type CreatePlanItemRequest = Json<paths['/api/cases/{id}/plan-items']['post']['requestBody']>;
export type UpdatePlanItemRequest = Json<paths['/api/cases/{id}/plan-items/{itemId}']['patch']['requestBody']>;
export type MeetingPage = Json<paths['/api/cases/{id}/meetings']['get']['responses'][200]>;
export type Meeting = MeetingPage['items'][number];
export type CreateMeetingRequest = Json<paths['/api/cases/{id}/meetings']['post']['requestBody']>;
export type Caseworker = Json<paths['/api/cases/{id}/caseworkers']['get']['responses'][200]>[number];
export type ResponsibilityChange = Json<paths['/api/cases/{id}/responsibility-history']['get']['responses'][200]>[number];
export type ClosedCase = Json<paths['/api/cases/{id}/close']['post']['responses'][200]>;
export type ConsentInForce = ClosedCase['consentsInForce'][number];
export type CloseCaseRequest = Json<paths['/api/cases/{id}/close']['post']['requestBody']>;
export type OutcomeEvent = Json<paths['/api/cases/{id}/outcome-history']['get']['responses'][200]>[number];
export type PlanItemChange = Json<paths['/api/cases/{id}/plan-items/{itemId}/history']['get']['responses'][200]>[number];
/** The journal's filters (all optional); applied to what the caller may see. */
export interface EntryFilter {
	category?: string;
	agencyId?: string;
	authorId?: string;
	from?: string;
	to?: string;
	q?: string;
}

export type CaseStatus = CaseDetail['status'];
export type CaseType = CaseDetail['type'];
export type ProtectedIdentity = CaseDetail['subject']['protectedIdentity'];

export const CASE_STATUSES: readonly CaseStatus[] = ['open', 'active', 'closed'];
export const CASE_TYPES: readonly CaseType[] = ['sspf', 'avhoppare'];
export const PROTECTED_IDENTITIES: readonly ProtectedIdentity[] = ['none', 'sekretessmarkering', 'skyddad_folkbokforing'];
export const PLAN_ITEM_STATUSES: readonly PlanItem['status'][] = ['planned', 'in_progress', 'done', 'cancelled'];

export function createCasesApi(call: Call) {
	const json = async <T>(response: Promise<Response>): Promise<T> => (await (await response).json()) as T;
	const id = (caseId: string) => ({ params: { id: caseId } });

	return {
		/** Areas, life areas, categories and agencies for forms; 403 for roles without case lists. */
		options: () => json<CaseOptions>(call('GET', '/api/cases/options')),
		/** Filters go in the body, so that no name or personnummer ends up in a URL or access log. */
		search: (filter: CaseFilter) => json<CaseListPage>(call('POST', '/api/cases/search', filter)),
		stats: () => json<CaseStats>(call('GET', '/api/cases/stats')),
		groupStats: () => json<GroupStats>(call('GET', '/api/stats/groups')),
		create: (body: CreateCaseRequest) => json<CaseDetail>(call('POST', '/api/cases', body)),
		get: (caseId: string) => json<CaseDetail>(call('GET', '/api/cases/{id}', undefined, id(caseId))),
		/** The plan as a PDF, the API's answer unread (to be streamed on), shaped for the caller like the plan itself. */
		planPdf: (caseId: string) => call('GET', '/api/cases/{id}/plan.pdf', undefined, id(caseId)),
		update: (caseId: string, body: UpdateCaseRequest) => json<CaseDetail>(call('PATCH', '/api/cases/{id}', body, id(caseId))),
		/** Answers the case and the consents still in force, which the caseworker may then end one by one. */
		close: (caseId: string, body: CloseCaseRequest) => json<ClosedCase>(call('POST', '/api/cases/{id}/close', body, id(caseId))),
		reopen: (caseId: string, reason: string) => json<CaseDetail>(call('POST', '/api/cases/{id}/reopen', { reason }, id(caseId))),
		outcomeHistory: (caseId: string) => json<OutcomeEvent[]>(call('GET', '/api/cases/{id}/outcome-history', undefined, id(caseId))),
		addParticipant: (caseId: string, agencyId: string) =>
			json<Participant[]>(call('POST', '/api/cases/{id}/participants', { agencyId }, id(caseId))),
		/** `reassignTo`: the agency that takes over the leaving agency's open plan actions. */
		async removeParticipant(caseId: string, agencyId: string, reassignTo?: string): Promise<void> {
			await call('DELETE', '/api/cases/{id}/participants/{agencyId}', undefined, {
				params: { id: caseId, agencyId },
				...(reassignTo ? { query: { reassignTo } } : {})
			});
		},
		entries: (caseId: string, page: number, pageSize: number, filter: EntryFilter = {}) =>
			json<EntryPage>(call('GET', '/api/cases/{id}/entries', undefined, { ...id(caseId), query: { page, pageSize, ...filter } })),
		createEntry: (caseId: string, body: CreateEntryRequest) => json<Entry>(call('POST', '/api/cases/{id}/entries', body, id(caseId))),
		createPlanItem: (caseId: string, body: CreatePlanItemRequest) =>
			json<PlanItem>(call('POST', '/api/cases/{id}/plan-items', body, id(caseId))),
		updatePlanItem: (caseId: string, itemId: string, body: UpdatePlanItemRequest) =>
			json<PlanItem>(call('PATCH', '/api/cases/{id}/plan-items/{itemId}', body, { params: { id: caseId, itemId } })),
		planItemHistory: (caseId: string, itemId: string) =>
			json<PlanItemChange[]>(call('GET', '/api/cases/{id}/plan-items/{itemId}/history', undefined, { params: { id: caseId, itemId } })),
		meetings: (caseId: string, page: number, pageSize: number) =>
			json<MeetingPage>(call('GET', '/api/cases/{id}/meetings', undefined, { ...id(caseId), query: { page, pageSize } })),
		createMeeting: (caseId: string, body: CreateMeetingRequest) =>
			json<Meeting>(call('POST', '/api/cases/{id}/meetings', body, id(caseId))),
		/** The owning agency's social workers who may hold the case (owning unit only). */
		caseworkers: (caseId: string) => json<Caseworker[]>(call('GET', '/api/cases/{id}/caseworkers', undefined, id(caseId))),
		responsibilityHistory: (caseId: string) =>
			json<ResponsibilityChange[]>(call('GET', '/api/cases/{id}/responsibility-history', undefined, id(caseId))),
		transfer: (caseId: string, userId: string) => json<CaseDetail>(call('POST', '/api/cases/{id}/transfer', { userId }, id(caseId)))
	};
}

export type CasesApi = ReturnType<typeof createCasesApi>;

/**
 * 404 from the API means "does not exist or not yours": the page says exactly that and nothing
 * more (the cases error page words it), so existence never leaks.
 */
export function caseNotFound(requestId: string): never {
	error(404, { message: 'Not Found', code: 'not_found', requestId });
}

/** Messages for the API's problem codes that a form can show; anything else is unexpected. */
const PROBLEM_MESSAGES: Record<string, MessageKey> = {
	case_closed: 'cases.problem.caseClosed',
	use_close: 'cases.problem.useClose',
	illegal_transition: 'cases.problem.illegalTransition',
	already_participant: 'cases.problem.alreadyParticipant',
	agency_has_plan_items: 'cases.problem.agencyHasPlanItems',
	agency_not_in_case: 'cases.problem.agencyNotInCase',
	owner_as_participant: 'cases.problem.ownerAsParticipant',
	unknown_agency: 'cases.problem.unknownAgency',
	unknown_area: 'cases.problem.unknownArea',
	unknown_life_area: 'cases.problem.unknownLifeArea',
	unknown_category: 'cases.problem.unknownCategory',
	category_not_allowed: 'cases.problem.categoryNotAllowed',
	category_not_consented: 'cases.problem.categoryNotConsented',
	corrects_not_in_case: 'cases.problem.correctsNotInCase',
	corrects_other_agency: 'cases.problem.correctsOtherAgency',
	phase_not_applicable: 'cases.problem.phaseNotApplicable',
	invalid_personal_identity_number: 'cases.problem.invalidPin',
	birth_date_in_future: 'cases.problem.birthDateInFuture',
	guardians_for_adult: 'cases.problem.guardiansForAdult',
	guardian_is_subject: 'cases.problem.guardianIsSubject',
	transfer_target_invalid: 'cases.problem.transferTargetInvalid',
	already_responsible: 'cases.problem.alreadyResponsible',
	deputy_invalid: 'cases.problem.deputyInvalid',
	deputy_is_responsible: 'cases.problem.deputyIsResponsible',
	unknown_outcome: 'cases.problem.unknownOutcome',
	due_date_past: 'cases.problem.dueDatePast',
	reassign_target_invalid: 'cases.problem.reassignTargetInvalid',
	range_reversed: 'cases.problem.rangeReversed',
	validation: 'cases.problem.validation'
};

export function problemMessage(err: ApiError): MessageKey {
	if (err.status === 409 && !(problemCode(err) in PROBLEM_MESSAGES)) return 'cases.problem.conflict';
	if (err.status === 403) return 'cases.problem.forbidden';
	return PROBLEM_MESSAGES[problemCode(err)] ?? 'cases.problem.unexpected';
}

/**
 * Field errors from a validation problem: `errors[].path` (`body/subject/firstName`) mapped to a
 * form field name by `fieldFor`. Paths the form does not know are left to the summary.
 */
export function validationFieldErrors(
	err: ApiError,
	fieldFor: (path: string) => string | null,
	message: MessageKey = 'cases.problem.fieldInvalid'
): Record<string, MessageKey> {
	const fields: Record<string, MessageKey> = {};
	for (const e of err.problem?.errors ?? []) {
		const field = fieldFor(e.path.replace(/^body\/?/, '').replace(/^\//, ''));
		if (field && !fields[field]) fields[field] = message;
	}
	return fields;
}

export type { FormFailure } from '$lib/components/forms/forms';

export function formFailure(
	status: number,
	action: string,
	error: MessageKey,
	values: Record<string, string>,
	fieldErrors: Record<string, MessageKey> = {},
	itemId?: string
) {
	return fail(status, { action, error, fieldErrors, values, ...(itemId ? { itemId } : {}) } satisfies FormFailure);
}

/**
 * The one way form actions turn API errors into answers: 404 → the "not found or no access" page,
 * 400/403/409 → the form's error summary (with field errors where the API names the field), the
 * API being down → a summary saying so. Anything else is a bug and goes to `handleError`.
 */
export function apiFailure(
	err: unknown,
	ctx: {
		action: string;
		requestId: string;
		values: Record<string, string>;
		itemId?: string;
		fieldFor?: (path: string) => string | null;
		codeField?: Record<string, string>;
	}
) {
	if (err instanceof ApiUnavailableError) return formFailure(503, ctx.action, 'cases.problem.unavailable', ctx.values, {}, ctx.itemId);
	if (!(err instanceof ApiError)) throw err;
	if (err.status === 404) caseNotFound(ctx.requestId);
	if (err.status === 401) redirect(303, '/login');
	const message = problemMessage(err);
	const fieldErrors = ctx.fieldFor ? validationFieldErrors(err, ctx.fieldFor) : {};
	const codeField = ctx.codeField?.[problemCode(err)];
	if (codeField) fieldErrors[codeField] = message;
	return formFailure(err.status === 409 ? 409 : 400, ctx.action, message, ctx.values, fieldErrors, ctx.itemId);
}

/** The text fields of a form, trimmed (files are ignored). */
export function formValues(form: FormData, names: readonly string[]): Record<string, string> {
	return Object.fromEntries(names.map((n) => [n, String(form.get(n) ?? '').trim()]));
}

/**
 * Loads a case; 404 for "does not exist or not yours", exactly as the API answers. A role without
 * case access (403) gets the same page: which cases exist is not that role's to learn either.
 */
export async function loadCase(api: CasesApi, caseId: string, requestId: string): Promise<CaseDetail> {
	try {
		return await api.get(caseId);
	} catch (err) {
		if (err instanceof ApiError && (err.status === 404 || err.status === 403 || err.status === 400)) caseNotFound(requestId);
		throw err;
	}
}

/** A read of a case's parts, where 403 and 404 mean the same page as for the case itself. */
export async function readOrNotFound<T>(read: Promise<T>, requestId: string): Promise<T> {
	try {
		return await read;
	} catch (err) {
		if (err instanceof ApiError && (err.status === 404 || err.status === 403)) caseNotFound(requestId);
		throw err;
	}
}

export function isOwner(user: { agencyId: string; roles: readonly string[] }, detail: Pick<CaseDetail, 'ownerAgencyId'>): boolean {
	return user.agencyId === detail.ownerAgencyId && user.roles.includes('social_worker');
}

/** The `reopen` form action, shared by every page of a case (the closed notice is on all of them). */
export async function reopenAction({ locals, params, request }: { locals: App.Locals; params: { id: string }; request: Request }) {
	const values = formValues(await request.formData(), ['reopenReason']);
	const reason = values.reopenReason ?? '';
	if (!reason) return formFailure(400, 'reopen', 'cases.form.fixErrors', values, { reopenReason: 'cases.closed.error.reasonRequired' });
	if (reason.length > 2000)
		return formFailure(400, 'reopen', 'cases.form.fixErrors', values, { reopenReason: 'cases.closed.error.reasonTooLong' });
	try {
		await locals.api.cases.reopen(params.id, reason);
	} catch (err) {
		return apiFailure(err, {
			action: 'reopen',
			requestId: locals.requestId,
			values,
			fieldFor: (p) => (p.startsWith('reason') ? 'reopenReason' : null)
		});
	}
	return { action: 'reopen', saved: 'cases.closed.reopened' as const };
}
