import { ApiError } from '$lib/server/api';

/** A part of a page whose API call failed with a 4xx is shown as "could not be loaded"; the rest stays. */
export async function section<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; status: number }> {
	try {
		return { ok: true, value: await promise };
	} catch (cause) {
		if (cause instanceof ApiError && cause.status !== 401 && cause.status !== 403) return { ok: false, status: cause.status };
		throw cause;
	}
}
