/**
 * The grouped extract's filter in the URL (`from`, `to`, `agencyId`, `action`, `own`, `view`,
 * `page`): ids, codes and days only. A value that cannot be a filter is reported, not sent.
 */

export type ExtractField = 'from' | 'to' | 'agencyId' | 'action';
export type ExtractError = 'invalidDate' | 'periodOrder' | 'invalidId' | 'invalidAction';

export interface ExtractFilter {
	values: Record<ExtractField, string>;
	errors: Partial<Record<ExtractField, ExtractError>>;
	/** Leave out the case's own caseworker's reads of it. */
	hideOwn: boolean;
	/** `groups` (the default) or `rows`: every event with its proof. */
	view: 'groups' | 'rows';
	page: number;
	api: { from?: string; to?: string; agencyId?: string; category?: string };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACTION = /^[a-z_]+(\.[a-z_]+)*$/;

const isDate = (v: string) =>
	DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

export function parseExtractFilter(params: URLSearchParams): ExtractFilter {
	const get = (k: string) => (params.get(k) ?? '').trim();
	const values: Record<ExtractField, string> = {
		from: get('from'),
		to: get('to'),
		agencyId: get('agencyId').toLowerCase(),
		action: get('action')
	};
	const errors: ExtractFilter['errors'] = {};
	if (values.from && !isDate(values.from)) errors.from = 'invalidDate';
	if (values.to && !isDate(values.to)) errors.to = 'invalidDate';
	if (!errors.from && !errors.to && values.from && values.to && values.from > values.to) errors.to = 'periodOrder';
	if (values.agencyId && !UUID.test(values.agencyId)) errors.agencyId = 'invalidId';
	if (values.action && !(ACTION.test(values.action) && values.action.length <= 80)) errors.action = 'invalidAction';
	const api: ExtractFilter['api'] = {};
	if (values.from && !errors.from) api.from = values.from;
	if (values.to && !errors.to) api.to = values.to;
	if (values.agencyId && !errors.agencyId) api.agencyId = values.agencyId;
	if (values.action && !errors.action) api.category = values.action;
	const n = Number(get('page'));
	return {
		values,
		errors,
		hideOwn: get('own') === 'hide',
		view: get('view') === 'rows' ? 'rows' : 'groups',
		page: Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1,
		api
	};
}

/** The query string of a filter (empty values and defaults left out). */
export function extractQuery(values: Partial<Record<ExtractField | 'own' | 'view', string>>, page = 1): string {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(values)) if (v && !(k === 'view' && v === 'groups')) q.set(k, v);
	if (page > 1) q.set('page', String(page));
	const s = q.toString();
	return s ? `?${s}` : '';
}
