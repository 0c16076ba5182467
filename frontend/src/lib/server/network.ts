import type { Action } from '@sveltejs/kit';
import type { paths } from '$lib/api/schema';
import type { MessageKey } from '$lib/i18n/messages';
import { apiFailure, formFailure, formValues } from './cases';
import type { Call, Json } from './http';

/** The network around the person: one agency's contact changed (the case answer lists them). Server-side only. */

export type UpdateContactRequest = Json<paths['/api/cases/{id}/network/{agencyId}']['patch']['requestBody']>;
export type NetworkContact = Json<paths['/api/cases/{id}/network/{agencyId}']['patch']['responses'][200]>;

export function createNetworkApi(call: Call) {
	return {
		/** The owning unit may change every agency's contact, a partner its own; 404 otherwise. */
		updateContact: async (caseId: string, agencyId: string, body: UpdateContactRequest): Promise<NetworkContact> =>
			(await (
				await call('PATCH', '/api/cases/{id}/network/{agencyId}', body, { params: { id: caseId, agencyId } })
			).json()) as NetworkContact
	};
}

const FIELDS = ['contactName', 'contactRole', 'contactPhone', 'contactEmail'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PHONE = /^[0-9+() -]*[0-9][0-9+() -]*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The case page's `contact` action: one agency's contact (the agency in `agencyId`). An empty
 * field clears what was there. Errors name the field and say how to fix it.
 */
export const contactAction: Action<{ id: string }> = async ({ request, locals, params }) => {
	const form = await request.formData();
	const values = formValues(form, ['agencyId', ...FIELDS]);
	const agencyId = values.agencyId ?? '';
	const e: Record<string, MessageKey> = {};
	for (const f of ['contactName', 'contactRole'] as const) if ((values[f] ?? '').length > 200) e[f] = 'network.error.tooLong';
	if (values.contactPhone && (values.contactPhone.length > 40 || !PHONE.test(values.contactPhone))) e.contactPhone = 'network.error.phone';
	if (values.contactEmail && (values.contactEmail.length > 254 || !EMAIL.test(values.contactEmail))) e.contactEmail = 'network.error.email';
	if (!UUID.test(agencyId)) return formFailure(400, 'contact', 'network.error.agency', values, {}, agencyId);
	if (Object.keys(e).length > 0) return formFailure(400, 'contact', 'cases.form.fixErrors', values, e, agencyId);
	const body = Object.fromEntries(FIELDS.map((f) => [f, values[f] || null])) as UpdateContactRequest;
	try {
		await locals.api.network.updateContact(params.id, agencyId, body);
	} catch (err) {
		return apiFailure(err, {
			action: 'contact',
			requestId: locals.requestId,
			values,
			itemId: agencyId,
			fieldFor: (p) => FIELDS.find((f) => p.includes(f)) ?? null
		});
	}
	return { action: 'contact', saved: 'network.saved' as const, itemId: agencyId };
};
