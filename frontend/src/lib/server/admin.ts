import { error, fail, redirect, type RequestEvent } from '@sveltejs/kit';
import type { paths } from '$lib/api/schema';
import type { FormFailure } from '$lib/components/forms/forms';
import type { MessageKey } from '$lib/i18n/messages';
import { ApiError, ApiUnavailableError, problemCode, type Call, type Json } from './http';

/** The admin workspace's API calls (agencies, users, role requests, the change log). Server-side only. */

export type AdminUser = Json<paths['/api/admin/users/{id}']['get']['responses'][200]>;
export type CreatedUser = Json<paths['/api/admin/users']['post']['responses'][201]>;
export type AdminUserPage = Json<paths['/api/admin/users']['get']['responses'][200]>;
export type AdminAgency = Json<paths['/api/admin/agencies/{id}']['get']['responses'][200]>;
export type AdminOptions = Json<paths['/api/admin/options']['get']['responses'][200]>;
export type RoleRequestPage = Json<paths['/api/admin/role-requests']['get']['responses'][200]>;
export type RoleRequest = Json<paths['/api/admin/role-requests/{id}/approve']['post']['responses'][200]>;
export type ChangePage = Json<paths['/api/admin/changes']['get']['responses'][200]>;
export type CreateUserRequest = Json<paths['/api/admin/users']['post']['requestBody']>;
export type UpdateUserRequest = Json<paths['/api/admin/users/{id}']['patch']['requestBody']>;
export type CreateAgencyRequest = Json<paths['/api/admin/agencies']['post']['requestBody']>;
export type UpdateAgencyRequest = Json<paths['/api/admin/agencies/{id}']['patch']['requestBody']>;
export type UserQuery = { q?: string; agencyId?: string; role?: string; active?: string; limit?: number; offset?: number };

const json = async <T>(response: Promise<Response>): Promise<T> => (await (await response).json()) as T;

export function createAdminApi(call: Call) {
	return {
		options: () => json<AdminOptions>(call('GET', '/api/admin/options')),
		agencies: () => json<AdminAgency[]>(call('GET', '/api/admin/agencies')),
		agency: (id: string) => json<AdminAgency>(call('GET', '/api/admin/agencies/{id}', undefined, { params: { id } })),
		createAgency: (body: CreateAgencyRequest) => json<AdminAgency>(call('POST', '/api/admin/agencies', body)),
		updateAgency: (id: string, body: UpdateAgencyRequest) =>
			json<AdminAgency>(call('PATCH', '/api/admin/agencies/{id}', body, { params: { id } })),
		setAgencyActive: (id: string, active: boolean) =>
			json<AdminAgency>(
				call('POST', active ? '/api/admin/agencies/{id}/reactivate' : '/api/admin/agencies/{id}/deactivate', undefined, { params: { id } })
			),
		users: (query: UserQuery) => json<AdminUserPage>(call('GET', '/api/admin/users', undefined, { query })),
		user: (id: string) => json<AdminUser>(call('GET', '/api/admin/users/{id}', undefined, { params: { id } })),
		createUser: (body: CreateUserRequest) => json<CreatedUser>(call('POST', '/api/admin/users', body)),
		updateUser: (id: string, body: UpdateUserRequest) => json<AdminUser>(call('PATCH', '/api/admin/users/{id}', body, { params: { id } })),
		setUserActive: (id: string, active: boolean) =>
			json<AdminUser>(
				call('POST', active ? '/api/admin/users/{id}/reactivate' : '/api/admin/users/{id}/deactivate', undefined, { params: { id } })
			),
		resetMfa: (id: string) => json<AdminUser>(call('POST', '/api/admin/users/{id}/reset-mfa', undefined, { params: { id } })),
		endSessions: (id: string) => json<{ ended: number }>(call('POST', '/api/admin/users/{id}/sessions/end', undefined, { params: { id } })),
		roleRequests: (status: string, offset = 0) =>
			json<RoleRequestPage>(call('GET', '/api/admin/role-requests', undefined, { query: { status, offset } })),
		decide: (id: string, approve: boolean) =>
			json<RoleRequest>(
				call('POST', approve ? '/api/admin/role-requests/{id}/approve' : '/api/admin/role-requests/{id}/reject', undefined, {
					params: { id }
				})
			),
		changes: (query: { resourceId?: string; offset?: number }) => json<ChangePage>(call('GET', '/api/admin/changes', undefined, { query }))
	};
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = (event: Pick<RequestEvent, 'locals'>): never =>
	error(404, { message: 'Not Found', code: 'not_found', requestId: event.locals.requestId });

/** The workspace is the admins'; the change log also the auditor's. Anyone else gets "not found". */
export function requireAdmin(event: Pick<RequestEvent, 'locals'>, options: { auditorToo?: boolean } = {}): void {
	const roles = event.locals.user?.roles ?? [];
	if (roles.includes('admin') || (options.auditorToo && roles.includes('auditor'))) return;
	notFound(event);
}

/** A read: 403/404 (the role was taken away mid-session, or the id is unknown) → "not found". */
export async function adminRead<T>(event: Pick<RequestEvent, 'locals'>, read: Promise<T>): Promise<T> {
	try {
		return await read;
	} catch (err) {
		if (err instanceof ApiError && (err.status === 403 || err.status === 404 || err.status === 400)) notFound(event);
		throw err;
	}
}

/** Problem codes of the admin API, as the user reads them. */
const PROBLEMS: Record<string, MessageKey> = {
	own_roles: 'admin.problem.ownRoles',
	own_request: 'admin.problem.ownRequest',
	own_account: 'admin.problem.ownAccount',
	own_agency: 'admin.problem.ownAgency',
	username_taken: 'admin.problem.usernameTaken',
	agency_exists: 'admin.problem.agencyExists',
	subject_taken: 'admin.problem.subjectTaken',
	unknown_agency: 'admin.problem.unknownAgency',
	unknown_area: 'admin.problem.unknownArea',
	openid_scope_missing: 'admin.problem.openidScope',
	no_sign_in: 'admin.problem.noSignIn',
	request_decided: 'admin.problem.requestDecided',
	request_stale: 'admin.problem.requestStale'
};

export function adminFailure(
	action: string,
	error: MessageKey,
	values: Record<string, string>,
	fieldErrors: Record<string, MessageKey> = {}
) {
	return fail(400, { action, error, fieldErrors, values } satisfies FormFailure);
}

/**
 * An API error of a form action as the form's error summary (with the field the API names, if
 * the form has it); 401 → sign in again; 404 → "not found".
 */
export function adminApiFailure(
	event: Pick<RequestEvent, 'locals'>,
	err: unknown,
	action: string,
	values: Record<string, string>,
	fieldFor: (path: string) => string | null = () => null,
	itemId?: string
) {
	const item = itemId ? { itemId } : {};
	if (err instanceof ApiUnavailableError)
		return fail(503, { action, error: 'admin.problem.unavailable', fieldErrors: {}, values, ...item } satisfies FormFailure);
	if (!(err instanceof ApiError)) throw err;
	if (err.status === 401) redirect(303, '/login');
	if (err.status === 404) notFound(event);
	const code = problemCode(err);
	const message: MessageKey =
		PROBLEMS[code] ??
		(err.status === 403 ? 'admin.problem.forbidden' : err.status === 409 ? 'admin.problem.conflict' : 'admin.problem.invalid');
	const fieldErrors: Record<string, MessageKey> = {};
	for (const e of err.problem?.errors ?? []) {
		const field = fieldFor(e.path.replace(/^body\/?/, '').replace(/^\//, ''));
		if (field && !fieldErrors[field]) fieldErrors[field] = PROBLEMS[code] ?? 'admin.problem.field';
	}
	return fail(err.status === 409 ? 409 : 400, { action, error: message, fieldErrors, values, ...item } satisfies FormFailure);
}

/** The text fields of a form, trimmed. */
export function textValues(form: FormData, names: readonly string[]): Record<string, string> {
	return Object.fromEntries(names.map((n) => [n, String(form.get(n) ?? '').trim()]));
}
