import type { MessageKey } from '$lib/i18n/messages';
import { adminApiFailure, adminFailure, adminRead, textValues } from '$lib/server/admin';
import type { Actions, PageServerLoad } from './$types';

const KINDS = ['school', 'social_services', 'police', 'leisure', 'other'] as const;
type Kind = (typeof KINDS)[number];

export const load: PageServerLoad = async (event) => ({
	agencies: await adminRead(event, event.locals.api.admin.agencies()),
	kinds: KINDS
});

export const actions: Actions = {
	create: async (event) => {
		const values = textValues(await event.request.formData(), ['name', 'kind']);
		const e: Record<string, MessageKey> = {};
		if (!values.name || values.name.length > 200) e.name = 'admin.error.agencyName';
		if (!(KINDS as readonly string[]).includes(values.kind ?? '')) e.kind = 'admin.error.kind';
		if (Object.keys(e).length > 0) return adminFailure('create', 'admin.error.fix', values, e);
		try {
			const agency = await event.locals.api.admin.createAgency({ name: values.name!, kind: values.kind as Kind });
			return { action: 'create', saved: 'admin.saved.agencyCreated' as MessageKey, createdId: agency.id };
		} catch (err) {
			return adminApiFailure(event, err, 'create', values, (p) => (['name', 'kind'].includes(p) ? p : null));
		}
	}
};
