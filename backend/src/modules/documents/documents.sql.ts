import { ts, userName } from '../cases/cases.sql.js';

/** The SQL text of the documents module. No I/O here. */

/** A document's metadata as DocumentOut, for a row `d` of `document`. */
export const documentJson = (d: string): string => `json_build_object(
  'id', ${d}.id, 'caseId', ${d}.case_id, 'category', ${d}.category, 'title', ${d}.title, 'mediaType', ${d}.media_type, 'size', ${d}.size_bytes,
  'sha256', ${d}.sha256, 'consentId', ${d}.consent_id, 'meetingId', ${d}.meeting_id, 'authorAgencyId', ${d}.author_agency_id,
  'authorUserId', ${d}.author_user_id, 'authorName', ${userName(`${d}.author_user_id`)}, 'createdAt', ${ts(`${d}.created_at`)})`;

/** The case's documents, newest first, read with the case's facts (caseFactsSql `extra` on the case row `f`). */
export const DOCUMENTS_EXTRA = `(SELECT coalesce(json_agg(${documentJson('d')} ORDER BY d.created_at DESC, d.id DESC), '[]'::json)
     FROM document d WHERE d.case_id = f.id) AS documents`;

export const INSERT_DOCUMENT_SQL = `INSERT INTO document AS d (id, case_id, consent_id, meeting_id, author_user_id, author_agency_id, category, title,
    media_type, size_bytes, sha256, iv, auth_tag, ciphertext)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  RETURNING ${documentJson('d')} AS document`;

/** One stored document: the case it belongs to, its metadata and its sealed bytes. */
export const DOCUMENT_SQL = `SELECT d.case_id, ${documentJson('d')} AS document, d.iv, d.auth_tag, d.ciphertext FROM document d WHERE d.id = ?`;

/** Is this consent (or meeting) one of this case's? */
export const CONSENT_OF_CASE_SQL = 'SELECT 1 AS ok FROM consent WHERE id = ? AND case_id = ?';
export const MEETING_OF_CASE_SQL = 'SELECT 1 AS ok FROM meeting WHERE id = ? AND case_id = ?';
