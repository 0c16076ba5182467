import type { paths } from '$lib/api/schema';
import type { MessageKey } from '$lib/i18n/messages';
import { problemCode, type ApiError, type Call, type Json } from './http';

/**
 * Consent requests the person answers with their e-identification (`/api/cases/:id/consent-requests`),
 * and the social worker's review of whether a person with protected identity may use the citizen
 * view (`/api/cases/:id/citizen-access-reviews`). Server-side only; bound by `createConsentsApi`.
 */

export type ConsentRequest = Json<paths['/api/cases/{id}/consent-requests']['get']['responses'][200]>['items'][number];
export type CreateConsentRequest = Json<paths['/api/cases/{id}/consent-requests']['post']['requestBody']>;
export type ConsentRequestStatus = ConsentRequest['status'];
export type CitizenAccessReview = Json<paths['/api/cases/{id}/citizen-access-reviews']['get']['responses'][200]>['items'][number];
export type RecordCitizenAccessReview = Json<paths['/api/cases/{id}/citizen-access-reviews']['post']['requestBody']>;

export const ACCESS_DECISIONS: readonly RecordCitizenAccessReview['decision'][] = ['release', 'withhold'];
export const ACCESS_REASONS: readonly RecordCitizenAccessReview['reasonCode'][] = [
	'no_harm',
	'harm_risk',
	'protected_whereabouts',
	'other_secrecy'
];

/**
 * How long a request stays open without an answer-by date, and the longest it may. They mirror
 * `requestValidDays` / `requestMaxValidDays` in policies/citizen.yaml (not published by the API):
 * the form uses them to explain the rule; the API's answer decides.
 */
export const REQUEST_VALID_DAYS = 30;
export const REQUEST_MAX_VALID_DAYS = 90;

export function createConsentRequestsApi(call: Call) {
	const json = async <T>(response: Promise<Response>): Promise<T> => (await (await response).json()) as T;
	const id = (value: string) => ({ params: { id: value } });

	return {
		/** 404 for a case the caller's unit does not own (or that does not exist). */
		list: async (caseId: string) =>
			(await json<{ items: ConsentRequest[] }>(call('GET', '/api/cases/{id}/consent-requests', undefined, id(caseId)))).items,
		create: (caseId: string, body: CreateConsentRequest) =>
			json<ConsentRequest>(call('POST', '/api/cases/{id}/consent-requests', body, id(caseId))),
		/** 409 `request_closed` for a request already answered, cancelled or expired. */
		cancel: (caseId: string, requestId: string) =>
			call('POST', '/api/cases/{id}/consent-requests/{requestId}/cancel', undefined, { params: { id: caseId, requestId } }),
		accessReviews: async (caseId: string) =>
			(await json<{ items: CitizenAccessReview[] }>(call('GET', '/api/cases/{id}/citizen-access-reviews', undefined, id(caseId)))).items,
		recordAccessReview: (caseId: string, body: RecordCitizenAccessReview) =>
			call('POST', '/api/cases/{id}/citizen-access-reviews', body, id(caseId))
	};
}

/** Messages for the request API's own problem codes, and the form field each belongs to. */
const REQUEST_PROBLEMS: Record<string, { message: MessageKey; field?: string }> = {
	request_closed: { message: 'consentRequests.problem.requestClosed' },
	no_reachable_party: { message: 'consentRequests.problem.noReachableParty' },
	period_ended: { message: 'consentRequests.problem.periodEnded', field: 'validTo' },
	owner_agency_required: { message: 'consentRequests.problem.ownerAgencyRequired', field: 'agencies' },
	invalid_expiry: { message: 'consentRequests.error.answerByPast', field: 'answerBy' },
	expiry_too_late: { message: 'consentRequests.error.answerByTooLate', field: 'answerBy' }
};

export function consentRequestProblem(err: ApiError): { message: MessageKey; field?: string } | null {
	return REQUEST_PROBLEMS[problemCode(err)] ?? null;
}
