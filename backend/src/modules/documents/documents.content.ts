import { fileTypeFromBuffer } from 'file-type';

/** What a document may be: decided by its bytes, never by its name or the client's content type. */
export const DOCUMENT_MEDIA_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;
export type DocumentMediaType = (typeof DOCUMENT_MEDIA_TYPES)[number];

const EXTENSIONS: Record<DocumentMediaType, string> = { 'application/pdf': 'pdf', 'image/jpeg': 'jpg', 'image/png': 'png' };

/** The allowed media type the content is (by its signature), or null for anything else. */
export async function sniffDocumentType(bytes: Uint8Array): Promise<DocumentMediaType | null> {
  const found = await fileTypeFromBuffer(bytes);
  return found && (DOCUMENT_MEDIA_TYPES as readonly string[]).includes(found.mime) ? (found.mime as DocumentMediaType) : null;
}

/** A file name that says nothing about the person: `dokument-<first 8 characters of the id>.<ext>`. */
export function neutralFileName(id: string, mediaType: DocumentMediaType): string {
  return `dokument-${id.slice(0, 8)}.${EXTENSIONS[mediaType]}`;
}
