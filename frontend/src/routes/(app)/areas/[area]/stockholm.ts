/** A Stockholm wall-clock date and time (`YYYY-MM-DD`, `HH:MM`) as an ISO instant. */
export function stockholmInstant(date: string, time: string): string {
	const asUtc = new Date(`${date}T${time}:00Z`);
	// The offset Stockholm has at about that instant (+01:00 or +02:00), from the platform's time zone data.
	const name = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Stockholm', timeZoneName: 'longOffset' })
		.formatToParts(asUtc)
		.find((p) => p.type === 'timeZoneName')?.value;
	const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
	const offsetMs = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : 0;
	return new Date(asUtc.getTime() - offsetMs).toISOString();
}
