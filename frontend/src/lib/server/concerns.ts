import type { paths } from '$lib/api/schema';
import type { Call, Json } from './http';

/** Concerns (orosanmälan): partners raise them, the intake of the area's social services triages them. */

export type Concern = Json<paths['/api/concerns/{id}']['get']['responses'][200]>;
export type ConcernPage = Json<paths['/api/concerns']['get']['responses'][200]>;
export type ConcernOptions = Json<paths['/api/concerns/options']['get']['responses'][200]>;
export type RaiseConcernRequest = Json<paths['/api/concerns']['post']['requestBody']>;
export type TriageRequest = Json<paths['/api/concerns/{id}/triage']['post']['requestBody']>;
export type TriageResult = Json<paths['/api/concerns/{id}/triage']['post']['responses'][200]>;
export type ConcernListStatus = 'open' | 'closed' | 'all';

export function createConcernsApi(call: Call) {
	const json = async <T>(response: Promise<Response>): Promise<T> => (await (await response).json()) as T;
	const id = (concernId: string) => ({ params: { id: concernId } });
	return {
		/** The areas my agency works in and the urgencies; 403 for roles that do not raise concerns. */
		options: () => json<ConcernOptions>(call('GET', '/api/concerns/options')),
		/** The person's number travels in the body, never in a URL. */
		raise: (body: RaiseConcernRequest) => json<Concern>(call('POST', '/api/concerns', body)),
		/** My view of the concerns: the intake's queue, the coordinator's overview, or my own as reporter. */
		list: (status: ConcernListStatus, offset: number) =>
			json<ConcernPage>(call('GET', '/api/concerns', undefined, { query: { status, offset } })),
		get: (concernId: string) => json<Concern>(call('GET', '/api/concerns/{id}', undefined, id(concernId))),
		triage: (concernId: string, body: TriageRequest) => json<TriageResult>(call('POST', '/api/concerns/{id}/triage', body, id(concernId)))
	};
}

export type ConcernsApi = ReturnType<typeof createConcernsApi>;
