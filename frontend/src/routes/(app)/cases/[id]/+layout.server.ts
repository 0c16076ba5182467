import { isOwner, loadCase } from '$lib/server/cases';
import { agencyNames } from './agencies';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals, params, parent }) => {
	const { user } = await parent();
	// The case first: a role without case access gets the same "not found or no access" page as
	// anyone else, before the options (which such roles may not read) are asked for.
	const detail = await loadCase(locals.api.cases, params.id, locals.requestId);
	const options = await locals.api.cases.options();
	const owner = isOwner(user, detail);
	return {
		detail,
		options,
		agencyNames: agencyNames(options.agencies, detail.participants),
		/** The owning unit's social worker: consents, the matrix and the disclosure ledger are theirs. */
		owner,
		/** The owning social worker may change the case, as long as it is not closed. */
		canEdit: owner && detail.status !== 'closed',
		canReopen: owner && detail.status === 'closed',
		/** Any agency with access writes journal entries in the categories it authors. */
		canWriteEntries: detail.status !== 'closed' && options.categories.some((c) => c.mine)
	};
};
