import type { paths } from '$lib/api/schema';
import type { Call, Json } from './http';

/**
 * The documents part of the API client (bound to the request's token by `createApi`): a case's
 * documents, uploads (multipart, forwarded as received) and downloads (the API's answer, streamed
 * on by the web app's server). Server-side only.
 */

export type DocumentList = Json<paths['/api/cases/{id}/documents']['get']['responses'][200]>;
export type CaseDocument = DocumentList['items'][number];

/** What the upload form sends on: the file and the fields the API documents. */
export interface DocumentUpload {
	file: File;
	category: string;
	title?: string;
	consentId?: string;
	meetingId?: string;
}

export function createDocumentsApi(call: Call) {
	const id = (value: string) => ({ params: { id: value } });

	return {
		/** The documents the caller may see (metadata only); 404 for a case the caller may not see. */
		list: async (caseId: string) => (await (await call('GET', '/api/cases/{id}/documents', undefined, id(caseId))).json()) as DocumentList,

		/** 400 wrong type (by content) or empty, 413 too large, 409 a category the consents do not let cross. */
		upload: async (caseId: string, upload: DocumentUpload) => {
			const form = new FormData();
			// Fields first, then the file: the API reads the parts in order.
			form.set('category', upload.category);
			if (upload.title) form.set('title', upload.title);
			if (upload.consentId) form.set('consentId', upload.consentId);
			if (upload.meetingId) form.set('meetingId', upload.meetingId);
			form.set('file', upload.file, 'upload');
			return (await (await call('POST', '/api/cases/{id}/documents', form, id(caseId))).json()) as CaseDocument;
		},

		/** The API's answer with the bytes unread, to be streamed to the browser; 404 when not visible. */
		download: (documentId: string) => call('GET', '/api/documents/{id}', undefined, id(documentId))
	};
}

export type DocumentsApi = ReturnType<typeof createDocumentsApi>;
