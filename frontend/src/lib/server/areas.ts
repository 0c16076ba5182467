import type { paths } from '$lib/api/schema';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError, problemCode, type Call, type Json } from './http';

/** The group level per area (lägesbild): observations, group meetings and group-level actions. Server-side only. */

export type MyAreas = Json<paths['/api/areas']['get']['responses'][200]>;
export type Picture = Json<paths['/api/areas/{area}']['get']['responses'][200]>;
export type ObservationPage = Json<paths['/api/areas/{area}/observations']['get']['responses'][200]>;
export type Observation = ObservationPage['items'][number];
export type ObservationRequest = Json<paths['/api/areas/{area}/observations']['post']['requestBody']>;
export type GroupMeeting = Json<paths['/api/areas/{area}/meetings/{id}']['get']['responses'][200]>;
export type MeetingRequest = Json<paths['/api/areas/{area}/meetings']['post']['requestBody']>;
export type MeetingPatch = Json<paths['/api/areas/{area}/meetings/{id}']['patch']['requestBody']>;
export type GroupAction = Json<paths['/api/areas/{area}/actions']['post']['responses'][201]>;
export type ActionRequest = Json<paths['/api/areas/{area}/actions']['post']['requestBody']>;
export type ActionPatch = Json<paths['/api/group-actions/{id}']['patch']['requestBody']>;

export interface ObservationFilter {
	from?: string | undefined;
	to?: string | undefined;
	category?: string | undefined;
	page?: number | undefined;
}

export function createAreasApi(call: Call) {
	const json = async <T>(response: Promise<Response>): Promise<T> => (await (await response).json()) as T;
	const area = (name: string) => ({ params: { area: name } });
	return {
		mine: () => json<MyAreas>(call('GET', '/api/areas')),
		picture: (name: string) => json<Picture>(call('GET', '/api/areas/{area}', undefined, area(name))),
		observations: (name: string, f: ObservationFilter) =>
			json<ObservationPage>(call('GET', '/api/areas/{area}/observations', undefined, { ...area(name), query: { ...f, pageSize: 20 } })),
		observe: (name: string, body: ObservationRequest) =>
			json<Observation>(call('POST', '/api/areas/{area}/observations', body, area(name))),
		hide: (id: string, reason: string) => call('POST', '/api/observations/{id}/hide', { reason }, { params: { id } }),
		meeting: (name: string, id: string) =>
			json<GroupMeeting>(call('GET', '/api/areas/{area}/meetings/{id}', undefined, { params: { area: name, id } })),
		planMeeting: (name: string, body: MeetingRequest) => json<GroupMeeting>(call('POST', '/api/areas/{area}/meetings', body, area(name))),
		updateMeeting: (name: string, id: string, body: MeetingPatch) =>
			json<GroupMeeting>(call('PATCH', '/api/areas/{area}/meetings/{id}', body, { params: { area: name, id } })),
		addAction: (name: string, body: ActionRequest) => json<GroupAction>(call('POST', '/api/areas/{area}/actions', body, area(name))),
		followUp: (id: string, body: ActionPatch) => json<GroupAction>(call('PATCH', '/api/group-actions/{id}', body, { params: { id } }))
	};
}

export type AreasApi = ReturnType<typeof createAreasApi>;

/** The API's problem codes on the group level, with the message and the form field each concerns. */
const AREA_PROBLEMS: Record<string, { message: MessageKey; field: string }> = {
	identity_in_text: { message: 'areas.problem.identityInText', field: '' },
	observed_in_future: { message: 'areas.problem.observedInFuture', field: 'observedAt' },
	bad_age_span: { message: 'areas.problem.badAgeSpan', field: 'ageTo' },
	unknown_category: { message: 'areas.problem.unknownCategory', field: 'category' },
	agency_not_in_area: { message: 'areas.problem.agencyNotInArea', field: 'agencyId' },
	meeting_in_future: { message: 'areas.problem.meetingInFuture', field: '' },
	unknown_meeting: { message: 'areas.problem.unknownMeeting', field: '' },
	bad_period: { message: 'areas.problem.badPeriod', field: 'to' }
};

/**
 * The message for an API problem, and the form fields it concerns: for `identity_in_text`, every
 * field the API named (`/description` → `description`, `/decisions/0/text` → `decision-0`).
 */
export function areaProblem(err: ApiError): { message: MessageKey; fields: string[] } {
	const known = AREA_PROBLEMS[problemCode(err)];
	if (!known) return { message: err.status === 403 ? 'areas.problem.forbidden' : 'areas.problem.invalid', fields: [] };
	const named = (err.problem?.errors ?? []).map((e) => e.path.replace(/^\/decisions\/(\d+)\/text$/, 'decision-$1').replace(/^\//, ''));
	return { message: known.message, fields: known.field ? [known.field] : named };
}

export { ApiError };
