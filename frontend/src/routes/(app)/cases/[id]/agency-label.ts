import { t } from '$lib/i18n';

/**
 * An agency's name (from the layout's `agencyNames`), or "another agency" when the caller may not
 * learn which: the API sent null, or an agency the caller has no name for. Call it while
 * rendering, as `t`.
 */
export function agencyLabel(names: Readonly<Record<string, string>>, id: string | null | undefined): string {
	const name = id && Object.hasOwn(names, id) ? names[id] : undefined;
	return name || t('cases.agency.other');
}
