import type { paths } from '$lib/api/schema';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError, problemCode, type Call, type Json } from './http';

/**
 * Network meetings beyond recording them (the cases client records and lists): move, cancel or
 * hold a planned meeting, the agency's calendar, and the invitation file. Server-side only.
 */

export type UpdateMeetingRequest = Json<paths['/api/cases/{id}/meetings/{meetingId}']['patch']['requestBody']>;
export type Calendar = Json<paths['/api/meetings']['get']['responses'][200]>;
export type CalendarItem = Calendar['items'][number];
type MeetingOut = Json<paths['/api/cases/{id}/meetings/{meetingId}']['patch']['responses'][200]>;

export function createMeetingsApi(call: Call) {
	const json = async <T>(response: Promise<Response>): Promise<T> => (await (await response).json()) as T;
	const ids = (caseId: string, meetingId: string) => ({ params: { id: caseId, meetingId } });
	return {
		update: (caseId: string, meetingId: string, body: UpdateMeetingRequest) =>
			json<MeetingOut>(call('PATCH', '/api/cases/{id}/meetings/{meetingId}', body, ids(caseId, meetingId))),
		/** `from`..`to` inclusive, at most 62 days (Swedish calendar days). */
		calendar: (from: string, to: string) => json<Calendar>(call('GET', '/api/meetings', undefined, { query: { from, to } })),
		/** The .ics file as the API answered it (audited there). */
		invite: (caseId: string, meetingId: string) =>
			call('GET', '/api/cases/{id}/meetings/{meetingId}/invite.ics', undefined, ids(caseId, meetingId))
	};
}

/** The meeting problems a form explains itself (the rest go through `apiFailure`), with the field they concern. */
const MEETING_PROBLEMS: Record<string, { message: MessageKey; field: string }> = {
	meeting_ends_before_start: { message: 'meetings.error.endsBeforeStart', field: 'end' },
	meeting_in_past: { message: 'meetings.error.inPast', field: 'start' },
	meeting_time_required: { message: 'meetings.error.timeInvalid', field: 'start' },
	meeting_held: { message: 'meetings.error.held', field: '' },
	meeting_cancelled: { message: 'meetings.error.cancelled', field: '' },
	meeting_minutes_required: { message: 'meetings.error.minutesRequired', field: 'minutes' },
	meeting_attendance_required: { message: 'meetings.error.attendanceRequired', field: 'attended' }
};

export function meetingProblem(err: unknown): { message: MessageKey; field: string } | null {
	return err instanceof ApiError ? (MEETING_PROBLEMS[problemCode(err)] ?? null) : null;
}

const STOCKHOLM = new Intl.DateTimeFormat('en-US', {
	timeZone: 'Europe/Stockholm',
	hourCycle: 'h23',
	year: 'numeric',
	month: '2-digit',
	day: '2-digit',
	hour: '2-digit',
	minute: '2-digit',
	second: '2-digit'
});

/** Stockholm's offset from UTC at an instant, in milliseconds. */
function offsetAt(at: Date): number {
	const p = Object.fromEntries(STOCKHOLM.formatToParts(at).map((x) => [x.type, x.value]));
	return Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!) - at.getTime();
}

/** A Swedish wall-clock time (`YYYY-MM-DD`, `HH:MM`) as an ISO instant; null if either is malformed. */
export function stockholmInstant(date: string, time: string): string | null {
	if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) return null;
	const naive = new Date(`${date}T${time}:00Z`);
	if (Number.isNaN(naive.getTime())) return null;
	const guess = new Date(naive.getTime() - offsetAt(naive));
	return new Date(naive.getTime() - offsetAt(guess)).toISOString();
}
