import type { CitizenApi, CitizenConsent, CitizenMe } from '$lib/server/citizen';
import { handleApiError, isUuid, notFound } from '../../guard';

/** One of the citizen's consents (and whether it is about the citizen), or "not found". */
export async function findConsent(
	api: CitizenApi,
	me: CitizenMe,
	locals: App.Locals,
	id: string,
	returnTo: string
): Promise<{ consent: CitizenConsent; aboutMe: boolean }> {
	if (!isUuid(id)) notFound(locals);
	let items: CitizenConsent[];
	try {
		({ items } = await api.consents());
	} catch (e) {
		throw handleApiError(e, locals, returnTo);
	}
	const consent = items.find((c) => c.id === id);
	if (!consent) notFound(locals);
	const aboutMe = me.relations.some((r) => r.as === 'subject' && r.subjectId === consent.subjectId);
	return { consent, aboutMe };
}
