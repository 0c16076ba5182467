import { error } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { adminApiFailure, adminFailure, adminRead, textValues, UUID, type UpdateUserRequest } from '$lib/server/admin';
import type { Actions, PageServerLoad } from './$types';

const ROLES = ['social_worker', 'partner', 'coordinator', 'auditor', 'admin'] as const;
type Role = (typeof ROLES)[number];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const FIELDS = ['displayName', 'email', 'agencyId', 'oidcSubject', 'roles'];

export const load: PageServerLoad = async (event) => {
	if (!UUID.test(event.params.id)) error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });
	const api = event.locals.api.admin;
	const [user, agencies, options] = await Promise.all([
		adminRead(event, api.user(event.params.id)),
		adminRead(event, api.agencies()),
		adminRead(event, api.options())
	]);
	return { user, agencies, privilegedRoles: options.privilegedRoles, allRoles: ROLES, self: user.id === event.locals.user?.id };
};

/** One action on the user: the answer names it, so the page shows the right confirmation. */
const simple =
	(name: string, run: (api: App.Locals['api']['admin'], id: string) => Promise<unknown>, saved: MessageKey): Actions[string] =>
	async (event) => {
		try {
			await run(event.locals.api.admin, event.params.id!);
		} catch (err) {
			return adminApiFailure(event, err, name, {});
		}
		return { action: name, saved };
	};

export const actions: Actions = {
	/** Sends only what changed; roles a second admin must approve, and a move, wait in a request. */
	update: async (event) => {
		const form = await event.request.formData();
		const values = textValues(form, ['displayName', 'email', 'agencyId', 'oidcSubject']);
		const roles = form
			.getAll('roles')
			.map(String)
			.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
		values.roles = roles.join(',');
		const e: Record<string, MessageKey> = {};
		if (!values.displayName) e.displayName = 'admin.error.displayName';
		if (values.email && (values.email.length > 254 || !EMAIL.test(values.email))) e.email = 'admin.error.email';
		if (!UUID.test(values.agencyId ?? '')) e.agencyId = 'admin.error.agency';
		if (values.oidcSubject && (values.oidcSubject.length > 255 || /\s/.test(values.oidcSubject))) e.oidcSubject = 'admin.error.subject';
		if (Object.keys(e).length > 0) return adminFailure('update', 'admin.error.fix', values, e);
		let current;
		try {
			current = await event.locals.api.admin.user(event.params.id);
		} catch (err) {
			return adminApiFailure(event, err, 'update', values);
		}
		const body: UpdateUserRequest = {};
		if (values.displayName !== current.displayName) body.displayName = values.displayName!;
		if ((values.email || null) !== (current.email ?? null)) body.email = values.email || null;
		if (values.agencyId !== current.agencyId) body.agencyId = values.agencyId!;
		if ((values.oidcSubject || null) !== (current.oidcSubject ?? null)) body.oidcSubject = values.oidcSubject || null;
		const same = roles.length === current.roles.length && roles.every((r) => current.roles.includes(r));
		if (!same) body.roles = roles;
		if (Object.keys(body).length === 0) return { action: 'update', saved: 'admin.saved.nothing' as MessageKey };
		try {
			const user = await event.locals.api.admin.updateUser(event.params.id, body);
			const waiting = !same && !!user.pendingRoleRequest && user.pendingRoleRequest.rolesAfter.some((r) => !user.roles.includes(r));
			// A move to another agency waits for a second admin too (policies/administration.yaml).
			const moving = !!body.agencyId && user.pendingAgencyMove?.agencyId === body.agencyId;
			const saved =
				waiting && moving
					? 'admin.saved.bothPending'
					: moving
						? 'admin.saved.movePending'
						: waiting
							? 'admin.saved.userPending'
							: 'admin.saved.user';
			return { action: 'update', saved: saved as MessageKey };
		} catch (err) {
			return adminApiFailure(event, err, 'update', values, (p) => FIELDS.find((f) => p.startsWith(f)) ?? null);
		}
	},
	deactivate: simple('deactivate', (api, id) => api.setUserActive(id, false), 'admin.saved.deactivated'),
	reactivate: simple('reactivate', (api, id) => api.setUserActive(id, true), 'admin.saved.reactivated'),
	resetMfa: simple('resetMfa', (api, id) => api.resetMfa(id), 'admin.saved.mfaReset'),
	endSessions: simple('endSessions', (api, id) => api.endSessions(id), 'admin.saved.sessionsEnded')
};
