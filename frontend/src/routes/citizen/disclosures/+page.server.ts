import { handleApiError, notFound, signedIn } from '../guard';
import type { PageServerLoad } from './$types';

/** Days per page. */
const LIMIT = 30;

/** Which agencies saw which kinds of information about one person in the citizen's view, per day. */
export const load: PageServerLoad = async ({ locals, parent, url }) => {
	const { me: current } = await parent();
	const { api, me } = signedIn(locals, current);
	const people = me.relations
		.filter((r) => r.access === 'full' && r.subjectId)
		.map((r) => ({ subjectId: r.subjectId as string, isMe: r.as === 'subject', firstName: r.firstName ?? '' }));
	const asked = url.searchParams.get('subjectId');
	const person = asked === null ? people[0] : people.find((p) => p.subjectId === asked);
	if (!person) {
		if (asked !== null) notFound(locals);
		return { people, person: null, days: [], before: null, older: null };
	}
	const beforeParam = url.searchParams.get('before');
	const before = beforeParam && /^\d{4}-\d{2}-\d{2}$/.test(beforeParam) ? beforeParam : undefined;
	try {
		const { days, nextBefore } = await api.disclosures(person.subjectId, before, LIMIT);
		return { people, person, days, before: before ?? null, older: nextBefore };
	} catch (e) {
		throw handleApiError(e, locals, `/citizen/disclosures?subjectId=${person.subjectId}`);
	}
};
