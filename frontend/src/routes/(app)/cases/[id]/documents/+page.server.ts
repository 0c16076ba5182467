import type { MessageKey } from '$lib/i18n/messages';
import { ApiError } from '$lib/server/api';
import { apiFailure, formFailure, formValues, readOrNotFound, reopenAction } from '$lib/server/cases';
import { problemCode } from '$lib/server/http';
import type { Actions, PageServerLoad } from './$types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TITLE = 200;

/** The upload's own problems: the message, and the field it is about. */
const UPLOAD_PROBLEMS: Record<string, { message: MessageKey; field: string }> = {
	document_too_large: { message: 'documents.problem.tooLarge', field: 'file' },
	document_type_not_allowed: { message: 'documents.problem.typeNotAllowed', field: 'file' },
	document_empty: { message: 'documents.problem.empty', field: 'file' },
	file_missing: { message: 'documents.error.fileRequired', field: 'file' },
	unknown_category: { message: 'documents.problem.categoryNotAllowed', field: 'category' },
	category_not_allowed: { message: 'documents.problem.categoryNotAllowed', field: 'category' },
	category_not_consented: { message: 'documents.problem.categoryNotConsented', field: 'category' },
	consent_not_in_case: { message: 'documents.problem.attachment', field: 'category' },
	meeting_not_in_case: { message: 'documents.problem.attachment', field: 'category' },
	attachment_owner_only: { message: 'documents.problem.attachment', field: 'category' }
};

export const load: PageServerLoad = async ({ locals, params, url }) => {
	const documents = await readOrNotFound(locals.api.documents.list(params.id), locals.requestId);
	const consentId = url.searchParams.get('consentId');
	return { documents, consentId: consentId && UUID.test(consentId) ? consentId : null };
};

export const actions = {
	/** The file goes on to the API as received: the API checks its type by content, and its size. */
	upload: async ({ request, locals, params }) => {
		const form = await request.formData();
		const values = formValues(form, ['category', 'title', 'consentId']);
		const file = form.get('file');
		const e: Record<string, MessageKey> = {};
		if (!(file instanceof File) || file.size === 0) e.file = 'documents.error.fileRequired';
		if (!values.category) e.category = 'documents.error.categoryRequired';
		if (values.title && values.title.length > MAX_TITLE) e.title = 'documents.error.titleTooLong';
		if (values.consentId && !UUID.test(values.consentId)) e.category = 'documents.problem.attachment';
		if (Object.keys(e).length > 0 || !(file instanceof File)) return formFailure(400, 'upload', 'cases.form.fixErrors', values, e);
		let document;
		try {
			document = await locals.api.documents.upload(params.id, {
				file,
				category: values.category!,
				...(values.title ? { title: values.title } : {}),
				...(values.consentId ? { consentId: values.consentId } : {})
			});
		} catch (err) {
			const known = err instanceof ApiError ? UPLOAD_PROBLEMS[problemCode(err)] : undefined;
			if (err instanceof ApiError && known) {
				return formFailure(err.status === 409 ? 409 : err.status === 413 ? 413 : 400, 'upload', known.message, values, {
					[known.field]: known.message
				});
			}
			return apiFailure(err, { action: 'upload', requestId: locals.requestId, values });
		}
		return { action: 'upload', saved: 'documents.saved' as MessageKey, itemId: document.id };
	},

	/** The closed-case notice on every page of the case offers to reopen it. */
	reopen: reopenAction
} satisfies Actions;
