/**
 * The ledger's filter as it travels in the URL (`from`, `to`, `agencyId`, `category`, `view`,
 * `page`): ids and codes only, never names. A value that cannot be a filter is reported, not sent.
 */

export type LedgerField = 'from' | 'to' | 'agencyId' | 'category';
export type LedgerError = 'invalidDate' | 'periodOrder' | 'invalidAgency' | 'invalidCategory';

export interface LedgerFilter {
	values: Record<LedgerField, string>;
	errors: Partial<Record<LedgerField, LedgerError>>;
	/** `groups` (per day × agency × category, the default) or `rows` (every row, newest first). */
	view: 'groups' | 'rows';
	page: number;
	/** What the API is asked for (only valid values). */
	api: { from?: string; to?: string; agencyId?: string; category?: string };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CODE = /^[a-z_]{1,40}$/;

const isDate = (v: string) =>
	DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

export function parseLedgerFilter(params: URLSearchParams): LedgerFilter {
	const get = (k: string) => (params.get(k) ?? '').trim();
	const values: Record<LedgerField, string> = {
		from: get('from'),
		to: get('to'),
		agencyId: get('agencyId').toLowerCase(),
		category: get('category')
	};
	const errors: LedgerFilter['errors'] = {};
	if (values.from && !isDate(values.from)) errors.from = 'invalidDate';
	if (values.to && !isDate(values.to)) errors.to = 'invalidDate';
	if (!errors.from && !errors.to && values.from && values.to && values.from > values.to) errors.to = 'periodOrder';
	if (values.agencyId && !UUID.test(values.agencyId)) errors.agencyId = 'invalidAgency';
	if (values.category && !CODE.test(values.category)) errors.category = 'invalidCategory';
	const n = Number(get('page'));
	const api: LedgerFilter['api'] = {};
	for (const k of ['from', 'to', 'agencyId', 'category'] as const) if (values[k] && !errors[k]) api[k] = values[k];
	return {
		values,
		errors,
		view: get('view') === 'rows' ? 'rows' : 'groups',
		page: Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1,
		api
	};
}

/** The query string of a filter (empty values left out), with overrides; `page` 1 is left out. */
export function ledgerQuery(values: Partial<Record<LedgerField | 'view', string>>, page = 1): string {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(values)) if (v && !(k === 'view' && v === 'groups')) q.set(k, v);
	if (page > 1) q.set('page', String(page));
	const s = q.toString();
	return s ? `?${s}` : '';
}
