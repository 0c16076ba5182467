import type { FastifyError, FastifyRequest } from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { badRequest, HttpProblem } from '../../lib/problem.js';
import { sniffDocumentType } from './documents.content.js';
import type { Upload } from './documents.service.js';
import { UploadFields } from './documents.schemas.js';

const tooLarge = (maxBytes: number): HttpProblem =>
  new HttpProblem(
    413,
    'document_too_large',
    'Document too large',
    `The file is larger than ${Math.floor(maxBytes / (1024 * 1024)) || 1} MB, the most the service accepts. Scan it at a lower resolution or split it, and upload again.`,
  );

/**
 * Reads one upload (multipart/form-data: the fields of UploadFields and one part `file`) into
 * memory, within the configured size, and checks it: the type by the content's signature (PDF,
 * JPEG, PNG), never by the file name or the content type the client sent. Nothing is stored here.
 */
export async function readUpload(request: FastifyRequest, maxBytes: number): Promise<Upload> {
  if (!request.isMultipart()) {
    throw new HttpProblem(
      415,
      'unsupported_media_type',
      'Unsupported content type',
      'Send the document as multipart/form-data: one part `file` and the field `category`.',
    );
  }
  const fields: Record<string, string> = {};
  let bytes: Buffer | null = null;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || bytes) {
          part.file.resume();
          throw badRequest('Send exactly one file, in the part named `file`.', 'one_file', '/file');
        }
        bytes = await part.toBuffer();
      } else if (Object.hasOwn(fields, part.fieldname)) {
        throw badRequest('Each field may be sent once.', 'duplicate_field', `/${part.fieldname}`);
      } else if (typeof part.value === 'string' && part.value !== '') {
        // An empty optional field (a form's blank title) is the same as one not sent.
        fields[part.fieldname] = part.value;
      }
    }
  } catch (e) {
    if (e instanceof HttpProblem) throw e;
    const fe = e as FastifyError;
    if (fe.code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(maxBytes);
    if (fe.statusCode === 413)
      throw new HttpProblem(
        413,
        'upload_too_large',
        'Upload too large',
        'The upload has more parts or longer fields than the service accepts: send one file and the documented fields.',
      );
    throw badRequest('The upload could not be read as multipart/form-data. Send it again from the form.', 'malformed_upload');
  }
  if (!Value.Check(UploadFields, fields)) {
    const paths = [...new Set([...Value.Errors(UploadFields, fields)].map((x) => x.path || '/'))].slice(0, 10);
    throw badRequest(
      'Some fields are missing or invalid: `category` is required; `title`, `consentId` and `meetingId` are optional.',
      'invalid_fields',
      paths,
    );
  }
  if (!bytes) throw badRequest('Choose a file to upload.', 'file_missing', '/file');
  if (bytes.length === 0) throw badRequest('The file is empty. Choose the file again and upload it.', 'document_empty', '/file');
  const mediaType = await sniffDocumentType(bytes);
  if (!mediaType)
    throw badRequest(
      'The file is not a PDF, JPEG or PNG (its content was checked, not its name). Save or scan it as one of these and upload again.',
      'document_type_not_allowed',
      '/file',
    );
  return { ...fields, bytes, mediaType } as Upload;
}
