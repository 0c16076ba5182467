import { signedIn, handleApiError } from '../guard';
import type { PageServerLoad } from './$types';

/** Every consent about the citizen or their children, in the order the API gives them. */
export const load: PageServerLoad = async ({ locals, parent }) => {
	const { me: current } = await parent();
	const { api, me } = signedIn(locals, current);
	try {
		const { items } = await api.consents();
		const mySubjectIds = me.relations.filter((r) => r.as === 'subject' && r.subjectId).map((r) => r.subjectId as string);
		return { consents: items, mySubjectIds };
	} catch (e) {
		throw handleApiError(e, locals, '/citizen/consents');
	}
};
