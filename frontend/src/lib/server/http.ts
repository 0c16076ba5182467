import { env } from '$env/dynamic/private';
import type { paths } from '$lib/api/schema';

/**
 * How the web app talks to the Samverka API: one `request` with the caller's token, request id
 * and address, and the errors it throws. The parts of the client (`api.ts`, `cases.ts`,
 * `consents.ts`, `audit.ts`) are built on it. Server-side only.
 */

/** The JSON body of an OpenAPI response or request body. */
export type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** RFC 9457 problem details, as every API error is shaped. */
export interface Problem {
	type: string;
	title: string;
	status: number;
	detail?: string;
	requestId?: string;
	/** Validation problems: `path` is e.g. `body/subject/firstName`. */
	errors?: { path: string; message: string }[];
}

/** The API answered with an error status (4xx, or 5xx other than "unavailable"). */
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly problem: Problem | null,
		/** From `Retry-After` (429, 503), in seconds. */
		readonly retryAfterSeconds: number | null
	) {
		super(`API answered ${status}${problem?.title ? ` (${problem.title})` : ''}`);
		this.name = 'ApiError';
	}
}

/** The API could not be reached, timed out, or said it is down (502/503/504). */
export class ApiUnavailableError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = 'ApiUnavailableError';
	}
}

export interface ApiContext {
	/** The user's access token, forwarded as `Authorization: Bearer`. */
	token: string | null;
	/** Sent as `x-request-id` so the API's logs and problem documents can be matched to ours. */
	requestId: string;
	/** The browser's address, forwarded for the API's per-address sign-in throttling. */
	clientAddress?: string | undefined;
}

const TIMEOUT_MS = 15_000;
const UNAVAILABLE = new Set([502, 503, 504]);

function baseUrl(): string {
	const url = env.API_URL;
	if (!url) throw new ApiUnavailableError('API_URL is not set');
	return url.replace(/\/+$/, '');
}

/** `Retry-After` is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
	if (!value) return null;
	const trimmed = value.trim();
	if (/^\d+$/.test(trimmed)) return Number(trimmed);
	const date = Date.parse(trimmed);
	return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

async function readProblem(response: Response): Promise<Problem | null> {
	const type = response.headers.get('content-type') ?? '';
	if (!type.includes('json')) return null;
	try {
		const body: unknown = await response.json();
		return body && typeof body === 'object' ? (body as Problem) : null;
	} catch {
		return null;
	}
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
	/** Values for `{name}` placeholders in `path`, URL-encoded here. */
	params?: Record<string, string>;
	query?: Record<string, string | number | undefined>;
}

function resolvePath(path: string, options: RequestOptions): string {
	const filled = path.replace(/\{(\w+)\}/g, (_match, name: string) => {
		const value = options.params?.[name];
		if (value === undefined) throw new Error(`missing path parameter ${name}`);
		return encodeURIComponent(value);
	});
	const query = new URLSearchParams();
	for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) query.set(key, String(value));
	const search = query.toString();
	return search ? `${filled}?${search}` : filled;
}

export async function request(
	ctx: ApiContext,
	method: HttpMethod,
	path: keyof paths,
	body?: unknown,
	options: RequestOptions = {}
): Promise<Response> {
	const headers: Record<string, string> = {
		accept: 'application/json, application/problem+json',
		'x-request-id': ctx.requestId
	};
	if (ctx.token) headers.authorization = `Bearer ${ctx.token}`;
	if (ctx.clientAddress) headers['x-forwarded-for'] = ctx.clientAddress;
	// A FormData body (a file upload) sets its own multipart content type with the boundary.
	if (body !== undefined && !(body instanceof FormData)) headers['content-type'] = 'application/json';

	let response: Response;
	try {
		response = await fetch(`${baseUrl()}${resolvePath(path, options)}`, {
			method,
			headers,
			body: body === undefined ? null : body instanceof FormData ? body : JSON.stringify(body),
			redirect: 'manual',
			signal: AbortSignal.timeout(TIMEOUT_MS)
		});
	} catch (cause) {
		if (cause instanceof ApiUnavailableError) throw cause;
		throw new ApiUnavailableError(`API request ${method} ${path} failed`, { cause });
	}
	// A redirect is an answer too (the OpenID sign-in start): the caller reads its Location.
	if (response.ok || (response.status >= 300 && response.status < 400)) return response;

	const problem = await readProblem(response);
	if (UNAVAILABLE.has(response.status)) {
		throw new ApiUnavailableError(`API request ${method} ${path} answered ${response.status}`);
	}
	throw new ApiError(response.status, problem, parseRetryAfter(response.headers.get('retry-after')));
}

/** `request` bound to one caller's context; what each part of the client is built from. */
export type Call = (method: HttpMethod, path: keyof paths, body?: unknown, options?: RequestOptions) => Promise<Response>;

/** The machine-readable code of a problem: `urn:samverka:problem:case_closed` → `case_closed`. */
export function problemCode(err: ApiError): string {
	return err.problem?.type?.split(':').pop() ?? '';
}
