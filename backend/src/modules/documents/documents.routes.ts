import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { CaseParams } from '../cases/cases.schemas.js';
import { JournalService } from '../cases/journal.service.js';
import { errorResponses } from '../identity/identity.schemas.js';
import { DOCUMENT_MEDIA_TYPES, neutralFileName } from './documents.content.js';
import { DocumentBytes, DocumentList, DocumentOut, DocumentParams } from './documents.schemas.js';
import { DocumentsService } from './documents.service.js';
import { readUpload } from './documents.upload.js';

/**
 * Documents of a case. Registered beside the cases module (it uses `app.caseAccess`); multipart
 * bodies are accepted on these routes only.
 */
export const documentsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const maxBytes = app.config.DOCUMENT_MAX_BYTES;
  await app.register(multipart, {
    limits: { fileSize: maxBytes, files: 2, fields: 8, fieldSize: 1024, fieldNameSize: 64, parts: 10, headerPairs: 50 },
  });
  const documents = new DocumentsService(app, new JournalService(app, app.caseAccess));
  const tags = ['documents'];

  app.post(
    '/cases/:id/documents',
    {
      config: { audit: { action: 'document.upload', resourceType: 'document' } },
      schema: {
        tags,
        consumes: ['multipart/form-data'],
        params: CaseParams,
        summary:
          'Upload a document (PDF, JPEG or PNG, checked by content) as multipart/form-data: part `file`, fields `category`, optional `title`, `consentId` or `meetingId`',
        response: { 201: DocumentOut, ...errorResponses(400, 401, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const upload = await readUpload(request, maxBytes);
      return reply.code(201).send(await documents.upload(request.em, request.actor!, request.params.id, upload, auditContextOf(request)));
    },
  );

  app.get(
    '/cases/:id/documents',
    {
      config: { audit: { action: 'document.list', resourceType: 'document' } },
      schema: {
        tags,
        summary: "The case's documents the caller may see (metadata only), newest first",
        params: CaseParams,
        response: { 200: DocumentList, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => documents.list(request.em, request.actor!, request.params.id, auditContextOf(request)),
  );

  app.get(
    '/documents/:id',
    {
      config: { audit: { action: 'document.download', resourceType: 'document' } },
      schema: {
        tags,
        summary: 'Download a document (audited; never cached; 409 `document_corrupt` if it fails its integrity check)',
        params: DocumentParams,
        produces: [...DOCUMENT_MEDIA_TYPES],
        response: { 200: DocumentBytes, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const { document, bytes } = await documents.download(
        request.em,
        request.actor!,
        request.params.id,
        auditContextOf(request),
        request.log,
      );
      return reply
        .header('content-type', document.mediaType)
        .header('content-disposition', `attachment; filename="${neutralFileName(document.id, document.mediaType)}"`)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(bytes);
    },
  );
};
