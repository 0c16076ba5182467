/**
 * The auditor's event filter as it lives in the page URL (ids, codes and dates only — never a
 * name or personnummer) and as the audit API wants it (UUIDs and ISO instants). Pure functions,
 * unit-tested without SvelteKit.
 */

export const OUTCOMES = ['allowed', 'denied', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The time zone the audit API groups and judges by (`policies/anomalies.yaml`). */
export const DEFAULT_TIME_ZONE = 'Europe/Stockholm';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACTION = /^[a-z_]+(\.[a-z_]+)*$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

export const ID_FIELDS = ['subjectId', 'caseId', 'actorId', 'agencyId'] as const;
export type IdField = (typeof ID_FIELDS)[number];
export const FILTER_FIELDS = [...ID_FIELDS, 'action', 'outcome', 'from', 'to'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

/** What the user typed (or a link carried), echoed back into the form. */
export type FilterValues = Record<FilterField, string>;

export type FilterError = 'invalidId' | 'invalidAction' | 'invalidOutcome' | 'invalidDate' | 'periodOrder';

/** The filter in the API's terms. */
export interface ApiFilter {
	subjectId?: string;
	caseId?: string;
	actorId?: string;
	agencyId?: string;
	action?: string;
	outcome?: Outcome;
	from?: string;
	to?: string;
}

export interface ParsedFilter {
	values: FilterValues;
	errors: Partial<Record<FilterField, FilterError>>;
	/** Only meaningful when `errors` is empty. */
	api: ApiFilter;
	page: number;
}

export function isUuid(value: string): boolean {
	return UUID.test(value);
}

/** Milliseconds that `timeZone` is ahead of UTC at the instant `utcMs`. */
export function zoneOffsetMs(utcMs: number, timeZone: string): number {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone,
		hourCycle: 'h23',
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		second: '2-digit'
	}).formatToParts(new Date(utcMs));
	const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
	const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
	return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** The instant a calendar day starts in `timeZone` (DST-safe). */
export function startOfDay(year: number, month: number, day: number, timeZone: string): number {
	const guess = Date.UTC(year, month - 1, day);
	const first = guess - zoneOffsetMs(guess, timeZone);
	const second = guess - zoneOffsetMs(first, timeZone);
	return second;
}

/** `YYYY-MM-DD` of the instant in `timeZone`. */
export function dateInZone(utcMs: number, timeZone: string): string {
	return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(utcMs));
}

function parseDate(value: string): { y: number; m: number; d: number } | null {
	const match = DATE.exec(value);
	if (!match) return null;
	const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
	const probe = new Date(Date.UTC(y, m - 1, d));
	if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== m - 1 || probe.getUTCDate() !== d) return null;
	return { y, m, d };
}

/**
 * A period bound: a calendar date (the whole day counts, in `timeZone`) or an exact instant,
 * as anomaly links carry. `end` turns a date into the start of the following day, because the
 * API's `to` is exclusive.
 */
export function periodBound(value: string, end: boolean, timeZone: string): string | null {
	const date = parseDate(value);
	if (date) return new Date(startOfDay(date.y, date.m, date.d + (end ? 1 : 0), timeZone)).toISOString();
	if (INSTANT.test(value) && !Number.isNaN(Date.parse(value))) return new Date(Date.parse(value)).toISOString();
	return null;
}

export function parseFilter(params: URLSearchParams, timeZone = DEFAULT_TIME_ZONE): ParsedFilter {
	const values = Object.fromEntries(FILTER_FIELDS.map((f) => [f, (params.get(f) ?? '').trim()])) as FilterValues;
	const errors: ParsedFilter['errors'] = {};
	const api: ApiFilter = {};

	for (const field of ID_FIELDS) {
		const value = values[field];
		if (!value) continue;
		if (isUuid(value)) api[field] = value.toLowerCase();
		else errors[field] = 'invalidId';
	}
	if (values.action) {
		if (ACTION.test(values.action) && values.action.length <= 80) api.action = values.action;
		else errors.action = 'invalidAction';
	}
	if (values.outcome) {
		if ((OUTCOMES as readonly string[]).includes(values.outcome)) api.outcome = values.outcome as Outcome;
		else errors.outcome = 'invalidOutcome';
	}
	for (const field of ['from', 'to'] as const) {
		if (!values[field]) continue;
		const bound = periodBound(values[field], field === 'to', timeZone);
		if (bound) api[field] = bound;
		else errors[field] = 'invalidDate';
	}
	if (api.from && api.to && Date.parse(api.from) >= Date.parse(api.to)) errors.to = 'periodOrder';

	const pageNumber = Number(params.get('page') ?? '1');
	const page = Number.isInteger(pageNumber) && pageNumber >= 1 && pageNumber <= 100_000 ? pageNumber : 1;
	return { values, errors, api, page };
}

export function hasFilter(api: ApiFilter): boolean {
	return Object.values(api).some((v) => v !== undefined);
}

/**
 * A URL query for the filter: the values as given (dates stay dates), empty ones left out.
 * `changes` replaces or (with '') removes fields; `page` is kept only when asked for.
 */
export function filterQuery(values: Partial<FilterValues>, changes: Partial<FilterValues> = {}, page?: number): string {
	const query = new URLSearchParams();
	for (const field of FILTER_FIELDS) {
		const value = field in changes ? changes[field] : values[field];
		if (value) query.set(field, value);
	}
	if (page && page > 1) query.set('page', String(page));
	const search = query.toString();
	return search ? `?${search}` : '';
}

export interface Period {
	from: string;
	to: string;
	bucket: 'hour' | 'day';
}

const DAY = 86_400_000;

/**
 * The period the overview charts and anomalies cover: the filter's if it has both ends, else
 * the last `defaultDays` days (to the end of today in `timeZone`), capped at `maxDays`.
 */
export function overviewPeriod(api: ApiFilter, now: number, timeZone: string, defaultDays: number, maxDays: number): Period {
	let to = api.to ? Date.parse(api.to) : null;
	let from = api.from ? Date.parse(api.from) : null;
	if (to === null) {
		const today = parseDate(dateInZone(now, timeZone))!;
		to = startOfDay(today.y, today.m, today.d + 1, timeZone);
	}
	if (from === null || from >= to) from = to - defaultDays * DAY;
	if (to - from > maxDays * DAY) from = to - maxDays * DAY;
	return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket: to - from <= 2 * DAY ? 'hour' : 'day' };
}
