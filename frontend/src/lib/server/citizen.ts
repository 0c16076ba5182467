import type { paths } from '$lib/api/schema';
import { request, type ApiContext, type HttpMethod, type Json, type RequestOptions } from './http';

/**
 * The API as the signed-in citizen (the person a case is about, or a custodial guardian) uses it.
 * Built on `http.ts` with the citizen's own token only: the staff session's token is never in
 * this client's context. Server-side only.
 */

export type CitizenMe = Json<paths['/api/citizen/me']['get']['responses'][200]>;
export type CitizenRelation = CitizenMe['relations'][number];
export type CitizenSignIn = Json<paths['/api/citizen/auth/callback']['get']['responses'][200]>;
export type CitizenConsent = Json<paths['/api/citizen/consents']['get']['responses'][200]>['items'][number];
export type CitizenRequest = Json<paths['/api/citizen/requests']['get']['responses'][200]>['items'][number];
export type CitizenDisclosures = Json<paths['/api/citizen/disclosures']['get']['responses'][200]>;
export type DisclosureDay = CitizenDisclosures['days'][number];
export type Accepted = Json<paths['/api/citizen/requests/{id}/accept']['post']['responses'][201]>;
export type Withdrawn = Json<paths['/api/citizen/consents/{id}/withdraw']['post']['responses'][200]>;

type CitizenPath = Extract<keyof paths, `/api/citizen/${string}`>;

export function createCitizenApi(ctx: ApiContext) {
	const call = (method: HttpMethod, path: CitizenPath, body?: unknown, options?: RequestOptions) =>
		request(ctx, method, path, body, options);
	const json = async <T>(response: Promise<Response>): Promise<T> => (await (await response).json()) as T;
	const id = (value: string): RequestOptions => ({ params: { id: value } });

	return {
		/** The provider's authorization URL for a new sign-in; 404 when citizen sign-in is not configured. */
		async start(returnTo: string): Promise<URL> {
			const response = await call('GET', '/api/citizen/auth/start', undefined, { query: { returnTo } });
			const location = response.headers.get('location');
			if (response.status !== 302 || !location) throw new Error(`unexpected answer ${response.status} to the sign-in start`);
			return new URL(location);
		},
		/** Finishes the sign-in with the provider's answer (the callback's query, as it came). */
		callback(query: URLSearchParams): Promise<CitizenSignIn> {
			const params = Object.fromEntries(
				['state', 'code', 'iss', 'error', 'error_description'].flatMap((k) => {
					const v = query.get(k);
					return v === null ? [] : [[k, v]];
				})
			);
			return json(call('GET', '/api/citizen/auth/callback', undefined, { query: params }));
		},
		async logout(): Promise<void> {
			await call('POST', '/api/citizen/auth/logout');
		},
		me: () => json<CitizenMe>(call('GET', '/api/citizen/me')),
		consents: () => json<{ items: CitizenConsent[] }>(call('GET', '/api/citizen/consents')),
		/** The signed receipt (and the withdrawal's), as the API answers: to pass on as a download. */
		receipt: (consentId: string) => call('GET', '/api/citizen/consents/{id}/receipt', undefined, id(consentId)),
		/** The receipt as a PDF to read and keep. */
		receiptPdf: (consentId: string) => call('GET', '/api/citizen/consents/{id}/receipt.pdf', undefined, id(consentId)),
		withdrawalReceipt: (consentId: string) => call('GET', '/api/citizen/consents/{id}/withdrawal-receipt', undefined, id(consentId)),
		/** 403 `reauthentication_required` when the sign-in is too old to sign with; 409 already withdrawn. */
		withdraw: (consentId: string, reason: string | undefined) =>
			json<Withdrawn>(call('POST', '/api/citizen/consents/{id}/withdraw', reason ? { reason } : {}, id(consentId))),
		requests: () => json<{ items: CitizenRequest[] }>(call('GET', '/api/citizen/requests')),
		/** 403 `reauthentication_required`; 409 `already_answered` / `request_closed`. */
		accept: (requestId: string) => json<Accepted>(call('POST', '/api/citizen/requests/{id}/accept', {}, id(requestId))),
		async decline(requestId: string, reason: string | undefined): Promise<void> {
			await call('POST', '/api/citizen/requests/{id}/decline', reason ? { reason } : {}, id(requestId));
		},
		/** `limit` days, newest first; `nextBefore` asks for the days before them (null: no older ones). */
		disclosures: (subjectId: string, before?: string, limit?: number) =>
			json<CitizenDisclosures>(call('GET', '/api/citizen/disclosures', undefined, { query: { subjectId, before, limit } })),
		/** The art. 15 extract, as the API answers: to pass on as a download. */
		extract: (subjectId: string) => call('GET', '/api/citizen/extract', undefined, { query: { subjectId } })
	};
}

export type CitizenApi = ReturnType<typeof createCitizenApi>;
