import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { errorResponses } from '../../identity/identity.schemas.js';
import type { CitizenRelation } from '../citizen.types.js';
import type { CitizenAuditContextOf } from '../consents/citizen-consents.service.js';
import { CitizenDisclosuresOut, CitizenDisclosuresQuery, CitizenExtractOut, CitizenExtractQuery } from './citizen-ledger.schemas.js';
import { CitizenLedgerService } from './citizen-ledger.service.js';

/** The file name of the person's log extract download (Swedish: "register extract"). */
export const EXTRACT_FILE_NAME = 'samverka-registerutdrag.json';

/**
 * What the person may learn about who received their data (GDPR art. 15): the disclosure ledger
 * per day, agency and category, and the audit trail's extract with its proofs as a download.
 */
export const citizenLedgerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const service = new CitizenLedgerService(app);
  const tags = ['citizen'];
  const config = { citizen: true };
  const ctxOf =
    (request: FastifyRequest): CitizenAuditContextOf =>
    (relation: CitizenRelation | null) =>
      app.citizen.auditContext(request, relation);

  app.get(
    '/citizen/disclosures',
    {
      config,
      schema: {
        tags,
        summary: 'Which agencies received which kinds of information about the person, per day (newest first, paged by days)',
        querystring: CitizenDisclosuresQuery,
        response: { 200: CitizenDisclosuresOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const actor = await app.citizen.require(request);
      return service.disclosures(request.em, actor, request.query, ctxOf(request));
    },
  );

  app.get(
    '/citizen/extract',
    {
      config: { ...config, audit: { action: 'citizen.extract', resourceType: 'subject' } },
      schema: {
        tags,
        summary: "The person's log extract with Merkle inclusion proofs, as a download (no staff identities)",
        querystring: CitizenExtractQuery,
        response: { 200: CitizenExtractOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const actor = await app.citizen.require(request);
      const extract = await service.extract(request.em, actor, request.query.subjectId, ctxOf(request));
      reply.header('content-disposition', `attachment; filename="${EXTRACT_FILE_NAME}"`).header('cache-control', 'no-store');
      return extract;
    },
  );
};
