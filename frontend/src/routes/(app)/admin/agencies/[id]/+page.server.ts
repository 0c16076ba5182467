import { error } from '@sveltejs/kit';
import type { MessageKey } from '$lib/i18n/messages';
import { adminApiFailure, adminFailure, adminRead, textValues, UUID, type UpdateAgencyRequest } from '$lib/server/admin';
import type { Actions, PageServerLoad } from './$types';

const KINDS = ['school', 'social_services', 'police', 'leisure', 'other'] as const;
type Kind = (typeof KINDS)[number];
const URL_RE = /^https?:\/\/\S+$/;
const SECRET_REF = /^(env:[A-Z][A-Z0-9_]{0,99}|file:[A-Za-z0-9._-]{1,100})$/;
const TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const words = (s: string | undefined) => (s ?? '').split(/\s+/).filter(Boolean);

export const load: PageServerLoad = async (event) => {
	if (!UUID.test(event.params.id)) error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });
	const api = event.locals.api.admin;
	const [agency, options] = await Promise.all([adminRead(event, api.agency(event.params.id)), adminRead(event, api.options())]);
	return { agency, areas: options.areas, kinds: KINDS, own: agency.id === event.locals.user?.agencyId };
};

const PROVIDER_FIELDS = ['issuer', 'clientId', 'clientSecretRef', 'scopes', 'subjectClaim', 'acrValues'];

export const actions: Actions = {
	/**
	 * Name, kind, areas and sign-in. The provider's client secret is never typed here: only where
	 * the server reads it (`env:NAME` or `file:name`).
	 */
	update: async (event) => {
		const form = await event.request.formData();
		const values = textValues(form, ['name', 'kind', ...PROVIDER_FIELDS]);
		const areas = form.getAll('areas').map(String);
		values.areas = areas.join(',');
		const localSignIn = form.get('localSignIn') === 'on';
		const useProvider = form.get('useProvider') === 'on';
		values.localSignIn = localSignIn ? 'on' : '';
		values.useProvider = useProvider ? 'on' : '';
		const e: Record<string, MessageKey> = {};
		if (!values.name || values.name.length > 200) e.name = 'admin.error.agencyName';
		if (!(KINDS as readonly string[]).includes(values.kind ?? '')) e.kind = 'admin.error.kind';
		const scopes = words(values.scopes);
		const acrValues = words(values.acrValues);
		if (useProvider) {
			if (!URL_RE.test(values.issuer ?? '') || values.issuer!.length > 500) e.issuer = 'admin.error.issuer';
			if (!values.clientId || /\s/.test(values.clientId)) e.clientId = 'admin.error.clientId';
			if (values.clientSecretRef && !SECRET_REF.test(values.clientSecretRef)) e.clientSecretRef = 'admin.error.secretRef';
			if (!scopes.includes('openid') || !scopes.every((s) => TOKEN.test(s))) e.scopes = 'admin.error.scopes';
			if (!acrValues.every((s) => TOKEN.test(s))) e.acrValues = 'admin.error.acr';
		}
		if (!useProvider && !localSignIn) e.localSignIn = 'admin.problem.noSignIn';
		if (Object.keys(e).length > 0) return adminFailure('update', 'admin.error.fix', values, e);
		const body: UpdateAgencyRequest = {
			name: values.name!,
			kind: values.kind as Kind,
			areas,
			localSignIn,
			identityProvider: useProvider
				? {
						issuer: values.issuer!,
						clientId: values.clientId!,
						clientSecretRef: values.clientSecretRef || null,
						scopes,
						subjectClaim: values.subjectClaim || 'sub',
						acrValues
					}
				: null
		};
		try {
			await event.locals.api.admin.updateAgency(event.params.id, body);
		} catch (err) {
			return adminApiFailure(event, err, 'update', values, (p) => {
				if (p.startsWith('areas')) return 'areas';
				const f = p.replace(/^identityProvider\//, '');
				return [...PROVIDER_FIELDS, 'name', 'kind', 'localSignIn'].find((x) => f.startsWith(x)) ?? null;
			});
		}
		return { action: 'update', saved: 'admin.saved.agency' as MessageKey };
	},
	deactivate: async (event) => {
		try {
			await event.locals.api.admin.setAgencyActive(event.params.id, false);
		} catch (err) {
			return adminApiFailure(event, err, 'deactivate', {});
		}
		return { action: 'deactivate', saved: 'admin.saved.agencyDeactivated' as MessageKey };
	},
	reactivate: async (event) => {
		try {
			await event.locals.api.admin.setAgencyActive(event.params.id, true);
		} catch (err) {
			return adminApiFailure(event, err, 'reactivate', {});
		}
		return { action: 'reactivate', saved: 'admin.saved.agencyReactivated' as MessageKey };
	}
};
