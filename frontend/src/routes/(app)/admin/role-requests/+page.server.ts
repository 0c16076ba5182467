import { error } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { adminApiFailure, adminRead, UUID } from '$lib/server/admin';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const api = event.locals.api.admin;
	const [pending, decided] = await Promise.all([adminRead(event, api.roleRequests('pending')), adminRead(event, api.roleRequests('all'))]);
	return { pending: pending.items, decided: decided.items.filter((r) => r.status !== 'pending').slice(0, 20), me: event.locals.user!.id };
};

const decide =
	(approve: boolean): Actions[string] =>
	async (event) => {
		const id = String((await event.request.formData()).get('id') ?? '');
		if (!UUID.test(id)) error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });
		const action = approve ? 'approve' : 'reject';
		let decided;
		try {
			decided = await event.locals.api.admin.decide(id, approve);
		} catch (err) {
			return adminApiFailure(event, err, action, {}, () => null, id);
		}
		const approved = decided.kind === 'agency_move' ? 'admin.saved.moveApproved' : 'admin.saved.approved';
		return { action, saved: (approve ? approved : 'admin.saved.rejected') as MessageKey, itemId: id };
	};

export const actions: Actions = { approve: decide(true), reject: decide(false) };
