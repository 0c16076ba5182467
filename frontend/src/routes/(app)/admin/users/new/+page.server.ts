import type { MessageKey } from '$lib/i18n/messages';
import { adminApiFailure, adminFailure, adminRead, textValues, UUID } from '$lib/server/admin';
import type { Actions, PageServerLoad } from './$types';

const ROLES = ['social_worker', 'partner', 'coordinator', 'auditor', 'admin'] as const;
type Role = (typeof ROLES)[number];
const USERNAME = /^[A-Za-z0-9._-]{2,64}$/;

export const load: PageServerLoad = async (event) => {
	const [agencies, options] = await Promise.all([
		adminRead(event, event.locals.api.admin.agencies()),
		adminRead(event, event.locals.api.admin.options())
	]);
	return { agencies: agencies.filter((a) => a.active !== false), privilegedRoles: options.privilegedRoles, allRoles: ROLES };
};

export const actions: Actions = {
	/**
	 * Creates the user; the API generates the one-time initial password, shown here once. Roles a
	 * second admin must approve wait in a role request.
	 */
	create: async (event) => {
		const form = await event.request.formData();
		const values = textValues(form, ['username', 'displayName', 'agencyId']);
		const roles = form
			.getAll('roles')
			.map(String)
			.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
		values.roles = roles.join(',');
		const e: Record<string, MessageKey> = {};
		if (!USERNAME.test(values.username ?? '')) e.username = 'admin.error.username';
		if (!values.displayName) e.displayName = 'admin.error.displayName';
		if (!UUID.test(values.agencyId ?? '')) e.agencyId = 'admin.error.agency';
		if (roles.length === 0) e.roles = 'admin.error.roles';
		if (Object.keys(e).length > 0) return adminFailure('create', 'admin.error.fix', values, e);
		try {
			const user = await event.locals.api.admin.createUser({
				username: values.username!,
				displayName: values.displayName!,
				agencyId: values.agencyId!,
				roles
			});
			return {
				action: 'create',
				created: {
					id: user.id,
					username: user.username,
					initialPassword: user.initialPassword,
					pending: user.pendingRoleRequest?.rolesAfter ?? null
				}
			};
		} catch (err) {
			return adminApiFailure(
				event,
				err,
				'create',
				values,
				(p) => ['username', 'displayName', 'agencyId', 'roles'].find((f) => p.startsWith(f)) ?? null
			);
		}
	}
};
