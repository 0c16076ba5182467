import type { MessageKey } from '$lib/i18n/messages';

/**
 * The scope fields of a consent (ConsentScopeFields.svelte) read from a submitted form and checked
 * as far as the web app can: recording a consent and sending a consent request share them. The
 * API checks again and decides (known agencies and categories, the longest period).
 */

const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const isDate = (v: string) =>
	DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Today on the municipality's calendar, as the API counts consent periods. */
export const stockholmToday = () => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(new Date());

export interface Scope {
	agencyIds: string[];
	categories: string[];
	purpose: string;
	validFrom: string;
	validTo: string;
}

/**
 * Reads the scope; `values` gets what was typed (agencies and categories comma-joined, to fill the
 * form in again) and `errors` a message per field that is wrong.
 */
export function readScope(form: FormData, values: Record<string, string>, errors: Record<string, MessageKey>): Scope {
	const agencyIds = form
		.getAll('agencyIds')
		.map(String)
		.filter((v) => UUID.test(v));
	const categories = form
		.getAll('categories')
		.map(String)
		.filter((v) => /^[a-z_]{1,40}$/.test(v));
	const text = (name: string) => String(form.get(name) ?? '').trim();
	Object.assign(values, {
		agencyIds: agencyIds.join(','),
		categories: categories.join(','),
		purpose: text('purpose'),
		validFrom: text('validFrom'),
		validTo: text('validTo')
	});
	if (agencyIds.length < 2) errors.agencies = 'consents.error.agenciesTooFew';
	if (!values.purpose) errors.purpose = 'consents.error.purposeRequired';
	else if (values.purpose.length > 2000) errors.purpose = 'consents.error.tooLong';
	if (!isDate(values.validFrom ?? '')) errors.validFrom = 'consents.error.validFromInvalid';
	if (!isDate(values.validTo ?? '')) errors.validTo = 'consents.error.validToInvalid';
	else if (!errors.validFrom && values.validTo! < values.validFrom!) errors.validTo = 'consents.problem.invalidPeriod';
	return { agencyIds, categories, purpose: values.purpose!, validFrom: values.validFrom!, validTo: values.validTo! };
}
