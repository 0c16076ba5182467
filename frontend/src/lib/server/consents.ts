import type { paths } from '$lib/api/schema';
import type { MessageKey } from '$lib/i18n/messages';
import { createConsentRequestsApi } from './consent-requests';
import { problemCode, type ApiError, type Call, type Json } from './http';

/**
 * The consents part of the API client (bound to the request's token by `createApi`): consents on a
 * case, their receipts, the consent matrix and the disclosure ledger. Server-side only.
 */

export type Consent = Json<paths['/api/cases/{id}/consents']['get']['responses'][200]>[number];
export type RecordConsentRequest = Json<paths['/api/cases/{id}/consents']['post']['requestBody']>;
export type ConsentMatrix = Json<paths['/api/cases/{id}/consent-matrix']['get']['responses'][200]>;
export type DisclosurePage = Json<paths['/api/cases/{id}/disclosures']['get']['responses'][200]>;
export type Disclosure = DisclosurePage['items'][number];
export type DisclosureGroup = NonNullable<DisclosurePage['groups']>[number];
export type DisclosureQuery = NonNullable<paths['/api/cases/{id}/disclosures']['get']['parameters']['query']>;
export type ExpiringConsent = Json<paths['/api/consents/expiring']['get']['responses'][200]>[number];
export type SignedReceipt = Json<paths['/api/consents/{id}/receipt']['get']['responses'][200]>;
export type VerifyReceiptRequest = Json<paths['/api/consents/receipts/verify']['post']['requestBody']>;
export type ConsentMethod = Consent['method'];
export type ConsentStatus = Consent['status'];

export const CONSENT_METHODS: readonly ConsentMethod[] = ['written', 'digital', 'oral'];

/**
 * The longest a consent may run, in months. It mirrors `maxValidityMonths` in
 * policies/consent.yaml, which the API does not publish: the form only uses it to explain the
 * rule, and the API's `period_too_long` answer stays the one that decides.
 */
export const MAX_VALIDITY_MONTHS = 12;

export function createConsentsApi(call: Call) {
	const json = async <T>(response: Promise<Response>): Promise<T> => (await (await response).json()) as T;
	const id = (value: string) => ({ params: { id: value } });

	return {
		/** 404 for a case that is not the caller's unit's (or does not exist). */
		list: (caseId: string) => json<Consent[]>(call('GET', '/api/cases/{id}/consents', undefined, id(caseId))),
		record: (caseId: string, body: RecordConsentRequest) => json<Consent>(call('POST', '/api/cases/{id}/consents', body, id(caseId))),
		/** 409 `already_withdrawn` the second time. */
		withdraw: (consentId: string, reason: string) => json<Consent>(call('POST', '/api/consents/{id}/withdraw', { reason }, id(consentId))),
		matrix: (caseId: string) => json<ConsentMatrix>(call('GET', '/api/cases/{id}/consent-matrix', undefined, id(caseId))),
		/** The ledger with filters, grouped per day × agency × category with `group: 'day'`. 400 for a bad filter. */
		ledger: (caseId: string, query: DisclosureQuery) =>
			json<DisclosurePage>(
				call('GET', '/api/cases/{id}/disclosures', undefined, {
					...id(caseId),
					query: query as Record<string, string | number | undefined>
				})
			),
		expiring: () => json<ExpiringConsent[]>(call('GET', '/api/consents/expiring')),
		receipt: (consentId: string) => json<SignedReceipt>(call('GET', '/api/consents/{id}/receipt', undefined, id(consentId))),
		verifyReceipt: (body: VerifyReceiptRequest) => json<{ valid: boolean }>(call('POST', '/api/consents/receipts/verify', body)),
		/** Requests the person answers with their e-identification, and access reviews (`./consent-requests.ts`). */
		requests: createConsentRequestsApi(call)
	};
}

export type ConsentsApi = ReturnType<typeof createConsentsApi>;

/** Messages for the consent API's problem codes, and the form field each belongs to. */
const CONSENT_PROBLEMS: Record<string, { message: MessageKey; field?: string }> = {
	invalid_period: { message: 'consents.problem.invalidPeriod', field: 'validTo' },
	period_too_long: { message: 'consents.problem.periodTooLong', field: 'validTo' },
	witness_required: { message: 'consents.problem.witnessRequired', field: 'witness' },
	evidence_required: { message: 'consents.problem.evidenceRequired', field: 'evidenceRef' },
	unknown_category: { message: 'consents.problem.unknownCategory', field: 'categories' },
	identity_required: { message: 'consents.identity.always', field: 'categories' },
	unknown_guardian: { message: 'consents.problem.unknownGuardian', field: 'givenBy' },
	unknown_agency: { message: 'consents.problem.unknownAgency', field: 'agencies' },
	already_withdrawn: { message: 'consents.problem.alreadyWithdrawn' },
	case_closed: { message: 'cases.problem.caseClosed' }
};

export function consentProblem(err: ApiError): { message: MessageKey; field?: string } | null {
	return CONSENT_PROBLEMS[problemCode(err)] ?? null;
}

/** The form field a validation error's path (`agencyIds/0`, `givenBy/guardianId` …) belongs to. */
export function consentFieldFor(path: string): string | null {
	if (path.startsWith('givenBy')) return 'givenBy';
	if (path.startsWith('agencyIds')) return 'agencies';
	if (path.startsWith('categories')) return 'categories';
	return ['method', 'evidenceRef', 'witness', 'purpose', 'validFrom', 'validTo'].find((f) => path.startsWith(f)) ?? null;
}
