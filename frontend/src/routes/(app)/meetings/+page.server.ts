import { error } from '@sveltejs/kit';
import { ApiError } from '$lib/server/api';
import type { PageServerLoad } from './$types';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

const iso = (d: Date) => d.toISOString().slice(0, 10);
const day = (date: string) => new Date(`${date}T00:00:00Z`);
const plus = (date: string, days: number) => iso(new Date(day(date).getTime() + days * 86_400_000));

/** The period shown: the ISO week (Monday first) or the calendar month around `date`. */
function period(view: 'week' | 'month', date: string): { from: string; to: string; previous: string; next: string } {
	if (view === 'week') {
		const from = plus(date, -((day(date).getUTCDay() + 6) % 7));
		return { from, to: plus(from, 6), previous: plus(from, -7), next: plus(from, 7) };
	}
	const d = day(date);
	const first = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
	const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
	return {
		from: iso(first),
		to: iso(last),
		previous: iso(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1))),
		next: iso(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)))
	};
}

export const load: PageServerLoad = async ({ locals, url }) => {
	const view = url.searchParams.get('view') === 'month' ? 'month' : 'week';
	const asked = url.searchParams.get('date') ?? '';
	const today = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(new Date());
	const date = DATE.test(asked) && !Number.isNaN(day(asked).getTime()) ? asked : today;
	const p = period(view, date);
	try {
		const calendar = await locals.api.meetings.calendar(p.from, p.to);
		const days: string[] = [];
		for (let d = p.from; d <= p.to; d = plus(d, 1)) days.push(d);
		return { view, date, today, ...p, days, items: calendar.items };
	} catch (err) {
		// Roles without a calendar (auditors, administrators) see the same page as for a missing one.
		if (err instanceof ApiError && err.status === 403) error(404, { message: 'Not found', code: 'not_found', requestId: locals.requestId });
		throw err;
	}
};
