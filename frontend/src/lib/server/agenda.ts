import type { paths } from '$lib/api/schema';
import type { Call, Json } from './http';

/** The start page's items and the user's notification settings (bound to the request's token by `createApi`). */

export type Agenda = Json<paths['/api/me/agenda']['get']['responses'][200]>;
export type Notifications = Json<paths['/api/me/notifications']['get']['responses'][200]>;

export function createAgendaApi(call: Call) {
	return {
		/** What waits for me today, in the cases I may see; 403 for roles without a start page (auditors, coordinators, admins). */
		agenda: async () => (await (await call('GET', '/api/me/agenda')).json()) as Agenda,

		/** My daily digest setting and the address it goes to. */
		notifications: async () => (await (await call('GET', '/api/me/notifications')).json()) as Notifications,

		/** Turns my daily digest e-mail on or off. */
		setDigest: async (digest: boolean) => (await (await call('PUT', '/api/me/notifications', { digest })).json()) as Notifications
	};
}

export type AgendaApi = ReturnType<typeof createAgendaApi>;
