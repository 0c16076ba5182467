/** The weeks of an area's picture: every Monday from `from` to `to`, with a count per category (0 where none). */
export interface WeekRow {
	weekStart: string;
	/** ISO week number, for labels. */
	week: number;
	counts: Record<string, number>;
	total: number;
}

const DAY = 86_400_000;
const utc = (date: string) => new Date(`${date}T00:00:00Z`);
const iso = (d: Date) => d.toISOString().slice(0, 10);

export function isoWeek(date: string): number {
	const d = utc(date);
	d.setUTCDate(d.getUTCDate() + 3 - ((d.getUTCDay() + 6) % 7));
	const jan4 = new Date(Date.UTC(d.getUTCFullYear(), 0, 4));
	return 1 + Math.round((d.getTime() - jan4.getTime()) / DAY - 3 + ((jan4.getUTCDay() + 6) % 7)) / 7;
}

export function weekRows(
	from: string,
	to: string,
	categories: readonly string[],
	counts: readonly { weekStart: string; category: string; count: number }[]
): WeekRow[] {
	const start = utc(from);
	start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() + 6) % 7));
	const byWeek = new Map<string, Record<string, number>>();
	for (const c of counts) {
		const row = byWeek.get(c.weekStart) ?? {};
		row[c.category] = (row[c.category] ?? 0) + c.count;
		byWeek.set(c.weekStart, row);
	}
	const rows: WeekRow[] = [];
	for (let d = start; iso(d) <= to; d = new Date(d.getTime() + 7 * DAY)) {
		const weekStart = iso(d);
		const found = byWeek.get(weekStart) ?? {};
		const row = Object.fromEntries(categories.map((c) => [c, found[c] ?? 0]));
		rows.push({ weekStart, week: isoWeek(weekStart), counts: row, total: Object.values(row).reduce((a, b) => a + b, 0) });
	}
	return rows;
}
