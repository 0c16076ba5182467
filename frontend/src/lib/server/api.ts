import type { paths } from '$lib/api/schema';
import { createAccountApi } from './account';
import { createAdminApi } from './admin';
import { createAgendaApi } from './agenda';
import { createAreasApi } from './areas';
import { createCasesApi } from './cases';
import { createConcernsApi } from './concerns';
import { createConsentsApi } from './consents';
import { createDocumentsApi } from './documents';
import { createMeetingsApi } from './meetings';
import { createNetworkApi } from './network';
import { createPrintoutsApi } from './printouts';
import { createOidcApi } from './oidc';
import { request, type ApiContext, type Call } from './http';

export { ApiError, ApiUnavailableError, type ApiContext, type Problem } from './http';

/**
 * Typed client for the Samverka API. Server-side only: the access token never reaches the
 * browser, which only talks to this web app. Types come from `src/lib/api/schema.d.ts`
 * (`npm run gen:api`), so a changed contract shows up in `npm run check`.
 */

export type LoginRequest = paths['/api/auth/login']['post']['requestBody']['content']['application/json'];
export type LoginResponse = paths['/api/auth/login']['post']['responses'][200]['content']['application/json'];
export type Me = paths['/api/me']['get']['responses'][200]['content']['application/json'];
export type RefreshResponse = paths['/api/auth/refresh']['post']['responses'][200]['content']['application/json'];

export function createApi(ctx: ApiContext) {
	const call: Call = (method, path, body, options) => request(ctx, method, path, body, options);
	return {
		/** 401 wrong credentials, 429 throttled (see `retryAfterSeconds`), 400 malformed. */
		async login(credentials: LoginRequest): Promise<LoginResponse> {
			const response = await request({ ...ctx, token: null }, 'POST', '/api/auth/login', credentials);
			return (await response.json()) as LoginResponse;
		},

		/** Revokes the session server-side. */
		async logout(): Promise<void> {
			await request(ctx, 'POST', '/api/auth/logout');
		},

		/** The signed-in user and their agency; 401 when the token is missing, expired or revoked. */
		async me(): Promise<Me> {
			const response = await request(ctx, 'GET', '/api/me');
			return (await response.json()) as Me;
		},

		/** A new access token for the same live session; 401 when it is no longer live. */
		async refresh(): Promise<RefreshResponse> {
			const response = await request(ctx, 'POST', '/api/auth/refresh');
			return (await response.json()) as RefreshResponse;
		},

		/** The second step of sign-in; my password, second factor and sessions (`./account.ts`). */
		account: createAccountApi(call),

		/** The admin workspace: agencies, users, role requests, the change log (`./admin.ts`). */
		admin: createAdminApi(call),

		/** The start page's items and my notification settings (`./agenda.ts`). */
		agenda: createAgendaApi(call),

		/** The group level per area: observations, group meetings and actions (`./areas.ts`). */
		areas: createAreasApi(call),

		/** Concerns raised with social services, and the intake's triage (`./concerns.ts`). */
		concerns: createConcernsApi(call),

		/** Cases (`./cases.ts`). */
		cases: createCasesApi(call),

		/** Consents, receipts, the consent matrix and the disclosure ledger (`./consents.ts`). */
		consents: createConsentsApi(call),

		/** Documents of a case: list, upload, download (`./documents.ts`). */
		documents: createDocumentsApi(call),

		/** Meetings: move, cancel, hold; the calendar; invitations (`./meetings.ts`). */
		meetings: createMeetingsApi(call),

		/** The network around the person: contacts per agency of a case (`./network.ts`). */
		network: createNetworkApi(call),

		/** Printouts as PDFs: invitations, minutes, consent receipts and forms (`./printouts.ts`). */
		printouts: createPrintoutsApi(call),

		/** Sign-in through an agency's own identity provider (`./oidc.ts`). */
		oidc: createOidcApi(call)
	};
}

export type Api = ReturnType<typeof createApi>;
