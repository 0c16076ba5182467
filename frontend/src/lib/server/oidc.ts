import type { Call, Json } from './http';
import type { paths } from '$lib/api/schema';

export type SignInProviders = Json<paths['/api/auth/providers']['get']['responses'][200]>;
export type OidcSession = Json<paths['/api/auth/oidc/callback']['get']['responses'][200]>;

/** Sign-in through an agency's own OpenID Connect provider. Server-side only. */
export function createOidcApi(call: Call) {
	return {
		/** The organisations with a provider ("Logga in med …"), and whether local sign-in is offered. */
		async providers(): Promise<SignInProviders> {
			return (await (await call('GET', '/api/auth/providers')).json()) as SignInProviders;
		},

		/** The provider's authorization URL for a new sign-in of this agency; 404 when it has none. */
		async start(agencyId: string): Promise<URL> {
			const response = await call('GET', '/api/auth/oidc/{agencyId}/start', undefined, { params: { agencyId } });
			const location = response.headers.get('location');
			if (response.status !== 302 || !location) throw new Error(`unexpected answer ${response.status} to the sign-in start`);
			return new URL(location);
		},

		/** Finishes the sign-in with the provider's answer (the callback's query, as it came). */
		async callback(query: URLSearchParams): Promise<OidcSession> {
			const params = Object.fromEntries(
				['state', 'code', 'iss', 'error', 'error_description'].flatMap((k) => {
					const v = query.get(k);
					return v === null ? [] : [[k, v]];
				})
			);
			return (await (await call('GET', '/api/auth/oidc/callback', undefined, { query: params })).json()) as OidcSession;
		}
	};
}
