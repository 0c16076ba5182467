import type { Api, Me } from '$lib/server/api';
import type { CitizenApi } from '$lib/server/citizen';
import type { Locale } from '$lib/i18n/messages';

declare global {
	namespace App {
		interface Error {
			message: string;
			/** Shown to the user so support can find the request in the logs. */
			requestId?: string;
			code?: 'unavailable' | 'not_found' | 'unexpected';
		}
		interface Locals {
			requestId: string;
			locale: Locale;
			/** API client bound to this request's token; use it from load functions and actions. */
			api: Api;
			user: Me | null;
			/** The session could not be checked because the API did not answer. */
			apiUnavailable: boolean;
			/** On the citizen's pages: the API client with the citizen cookie's token (null when signed out). */
			citizen: CitizenApi | null;
		}
		interface PageData {
			locale: Locale;
		}
	}
}

export {};
