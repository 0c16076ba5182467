import { redirect } from '@sveltejs/kit';
import { parsePersonnummer } from '$lib/components/cases/personnummer';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError } from '$lib/server/api';
import { apiFailure, CASE_TYPES, formFailure, PROTECTED_IDENTITIES, type CreateCaseRequest } from '$lib/server/cases';
import type { Actions, PageServerLoad } from './$types';

const MAX_GUARDIANS = 6;
const DEFAULT_GUARDIANS = 2;
const SUBJECT_FIELDS = ['pin', 'firstName', 'lastName', 'protectedIdentity', 'type', 'area', 'reason'] as const;
const GUARDIAN_FIELDS = ['firstName', 'lastName', 'pin', 'custody', 'protectedIdentity'] as const;

export const load: PageServerLoad = async ({ locals }) => {
	const canCreate = locals.user?.roles.includes('social_worker') && locals.user.agency.kind === 'social_services';
	if (!canCreate) return { forbidden: true as const };
	const options = await locals.api.cases.options();
	return { forbidden: false as const, areas: options.areas, guardianCount: DEFAULT_GUARDIANS, maxGuardians: MAX_GUARDIANS };
};

function guardianCount(form: FormData): number {
	const n = Number(form.get('guardianCount'));
	return Number.isInteger(n) && n >= 0 && n <= MAX_GUARDIANS ? n : DEFAULT_GUARDIANS;
}

/** Everything the user entered, trimmed, to be shown again (guardian rows as `g{i}-{field}`). */
function readForm(form: FormData, count: number): Record<string, string> {
	const values: Record<string, string> = {};
	for (const f of SUBJECT_FIELDS) values[f] = String(form.get(f) ?? '').trim();
	for (let i = 0; i < count; i++) {
		for (const f of GUARDIAN_FIELDS) values[`g${i}-${f}`] = String(form.get(`g${i}-${f}`) ?? '').trim();
	}
	values.guardianCount = String(count);
	return values;
}

const isBlankGuardian = (v: Record<string, string>, i: number) => !v[`g${i}-firstName`] && !v[`g${i}-lastName`] && !v[`g${i}-pin`];

function validate(values: Record<string, string>, count: number): { fieldErrors: Record<string, MessageKey>; rows: number[] } {
	const e: Record<string, MessageKey> = {};
	const today = new Date();
	if (!values.pin) e.pin = 'cases.new.error.pinRequired';
	else if (!parsePersonnummer(values.pin, today)) e.pin = 'cases.new.error.pinInvalid';
	if (!values.firstName) e.firstName = 'cases.new.error.firstNameRequired';
	else if (values.firstName.length > 100) e.firstName = 'cases.new.error.nameTooLong';
	if (!values.lastName) e.lastName = 'cases.new.error.lastNameRequired';
	else if (values.lastName.length > 100) e.lastName = 'cases.new.error.nameTooLong';
	if (!(PROTECTED_IDENTITIES as readonly string[]).includes(values.protectedIdentity ?? ''))
		e['protectedIdentity-none'] = 'cases.new.error.protectedIdentityRequired';
	const rows: number[] = [];
	for (let i = 0; i < count; i++) {
		if (isBlankGuardian(values, i)) continue;
		rows.push(i);
		if (!values[`g${i}-firstName`]) e[`g${i}-firstName`] = 'cases.new.error.guardianFirstNameRequired';
		else if (values[`g${i}-firstName`]!.length > 100) e[`g${i}-firstName`] = 'cases.new.error.nameTooLong';
		if (!values[`g${i}-lastName`]) e[`g${i}-lastName`] = 'cases.new.error.guardianLastNameRequired';
		else if (values[`g${i}-lastName`]!.length > 100) e[`g${i}-lastName`] = 'cases.new.error.nameTooLong';
		const pin = values[`g${i}-pin`];
		if (pin && !parsePersonnummer(pin, today)) e[`g${i}-pin`] = 'cases.new.error.guardianPinInvalid';
		if (values[`g${i}-custody`] !== 'yes' && values[`g${i}-custody`] !== 'no') e[`g${i}-custody-yes`] = 'cases.new.error.custodyRequired';
		if (!(PROTECTED_IDENTITIES as readonly string[]).includes(values[`g${i}-protectedIdentity`] || 'none'))
			e[`g${i}-protectedIdentity`] = 'cases.new.error.protectedIdentityRequired';
	}
	if (!(CASE_TYPES as readonly string[]).includes(values.type ?? '')) e['type-sspf'] = 'cases.new.error.typeRequired';
	if (!values.area) e.area = 'cases.new.error.areaRequired';
	if (!values.reason) e.reason = 'cases.new.error.reasonRequired';
	else if (values.reason.length > 5000) e.reason = 'cases.new.error.reasonTooLong';
	return { fieldErrors: e, rows };
}

export const actions = {
	/** Open the case; on success go to it. */
	create: async ({ request, locals }) => {
		const form = await request.formData();
		const count = guardianCount(form);
		const values = readForm(form, count);
		const { fieldErrors, rows } = validate(values, count);
		if (Object.keys(fieldErrors).length > 0) return formFailure(400, 'create', 'cases.form.fixErrors', values, fieldErrors);

		const body: CreateCaseRequest = {
			type: values.type as CreateCaseRequest['type'],
			area: values.area!,
			reason: values.reason!,
			subject: {
				personalIdentityNumber: values.pin!,
				firstName: values.firstName!,
				lastName: values.lastName!,
				protectedIdentity: values.protectedIdentity as CreateCaseRequest['subject']['protectedIdentity'],
				guardians: rows.map((i) => ({
					firstName: values[`g${i}-firstName`]!,
					lastName: values[`g${i}-lastName`]!,
					personalIdentityNumber: values[`g${i}-pin`] || null,
					custody: values[`g${i}-custody`] === 'yes',
					protectedIdentity: (values[`g${i}-protectedIdentity`] || 'none') as CreateCaseRequest['subject']['protectedIdentity']
				}))
			}
		};
		let created;
		try {
			created = await locals.api.cases.create(body);
		} catch (err) {
			if (err instanceof ApiError && err.status === 403) return formFailure(403, 'create', 'cases.problem.forbidden', values);
			return apiFailure(err, {
				action: 'create',
				requestId: locals.requestId,
				values,
				fieldFor: (path) => {
					const g = /^subject\/guardians\/(\d+)\/(firstName|lastName|personalIdentityNumber|custody)/.exec(path);
					if (g) {
						const row = rows[Number(g[1])];
						const field = g[2] === 'personalIdentityNumber' ? 'pin' : g[2] === 'custody' ? 'custody-yes' : g[2];
						return row === undefined ? 'guardians' : `g${row}-${field}`;
					}
					if (path.startsWith('subject/personalIdentityNumber')) return 'pin';
					if (path.startsWith('subject/firstName')) return 'firstName';
					if (path.startsWith('subject/lastName')) return 'lastName';
					if (path.startsWith('subject/protectedIdentity')) return 'protectedIdentity-none';
					if (path.startsWith('type')) return 'type-sspf';
					if (path.startsWith('area')) return 'area';
					if (path.startsWith('reason')) return 'reason';
					return null;
				},
				codeField: {
					unknown_area: 'area',
					// Both the subject's and the guardians' numbers were checked here first, so the
					// API disagreeing is about the subject's (e.g. a future birth date by its clock).
					invalid_personal_identity_number: 'pin',
					birth_date_in_future: 'pin',
					guardians_for_adult: 'guardians',
					guardian_is_subject: 'guardians'
				}
			});
		}
		redirect(303, `/cases/${created.id}`);
	},

	/** Without JavaScript rows are added and removed by the server, which shows the form again. */
	addGuardian: async ({ request }) => {
		const form = await request.formData();
		const count = guardianCount(form);
		const values = readForm(form, count);
		const next = Math.min(MAX_GUARDIANS, count + 1);
		values.guardianCount = String(next);
		return { action: 'guardians', values, focus: next > count ? `g${next - 1}-firstName` : 'guardians' };
	},

	removeGuardian: async ({ request }) => {
		const form = await request.formData();
		const count = guardianCount(form);
		const values = readForm(form, count);
		const remove = Number(form.get('removeGuardian'));
		if (Number.isInteger(remove) && remove >= 0 && remove < count) {
			for (let i = remove; i < count - 1; i++) {
				for (const f of GUARDIAN_FIELDS) values[`g${i}-${f}`] = values[`g${i + 1}-${f}`] ?? '';
			}
			for (const f of GUARDIAN_FIELDS) delete values[`g${count - 1}-${f}`];
			values.guardianCount = String(count - 1);
		}
		return { action: 'guardians', values, focus: 'guardians' };
	}
} satisfies Actions;
