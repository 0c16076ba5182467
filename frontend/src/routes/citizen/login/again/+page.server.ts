import { safeCitizenTarget } from '$lib/server/citizen-session';
import type { PageServerLoad } from './$types';

/** Says why the person signs in once more (an answer or a withdrawal needs a recent sign-in). */
export const load: PageServerLoad = ({ url }) => ({ returnTo: safeCitizenTarget(url.searchParams.get('returnTo')) });
