import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { errorResponses } from '../../identity/identity.schemas.js';
import { PdfResponse } from '../../printouts/printouts.schemas.js';
import type { CitizenRelation } from '../citizen.types.js';
import {
  CitizenConsentParams,
  CitizenConsentsOut,
  SignedReceiptOut,
  WithdrawByCitizenBody,
  WithdrawByCitizenOut,
} from './citizen-consents.schemas.js';
import { CitizenConsentsService, type CitizenAuditContextOf } from './citizen-consents.service.js';

/**
 * The person's own consents (issue 16 §2): list, receipts, and withdrawal by the person who gave
 * the consent. Citizen routes only: a staff token is refused (401), and a consent outside the
 * citizen's scope answers 404 like one that does not exist.
 */
export const citizenConsentsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const service = new CitizenConsentsService(app);
  const tags = ['citizen'];
  const config = { citizen: true };
  const ctxOf =
    (request: FastifyRequest): CitizenAuditContextOf =>
    (relation: CitizenRelation | null) =>
      app.citizen.auditContext(request, relation);

  app.get(
    '/citizen/consents',
    {
      config,
      schema: {
        tags,
        summary: 'The consents of every person the citizen may see (themselves, or a child in their custody), newest first',
        response: { 200: CitizenConsentsOut, ...errorResponses(401) },
      },
    },
    async (request) => {
      const actor = await app.citizen.require(request);
      return { items: await service.list(request.em, actor, ctxOf(request)) };
    },
  );

  app.get(
    '/citizen/consents/:id/receipt',
    {
      config,
      schema: {
        tags,
        summary: "A consent's signed receipt, as the social worker's download gives it",
        params: CitizenConsentParams,
        response: { 200: SignedReceiptOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const actor = await app.citizen.require(request);
      return service.receipt(request.em, actor, request.params.id, ctxOf(request));
    },
  );

  app.get(
    '/citizen/consents/:id/receipt.pdf',
    {
      config,
      schema: {
        tags,
        summary: "A consent's receipt as a PDF to read and keep (Swedish)",
        params: CitizenConsentParams,
        response: { 200: PdfResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const actor = await app.citizen.require(request);
      const pdf = await service.receiptPdf(request.em, actor, request.params.id, ctxOf(request));
      return reply
        .type('application/pdf')
        .header('content-disposition', 'attachment; filename="samtyckeskvitto.pdf"')
        .header('cache-control', 'no-store')
        .send(pdf);
    },
  );

  app.get(
    '/citizen/consents/:id/withdrawal-receipt',
    {
      config,
      schema: {
        tags,
        summary: 'The signed receipt of a withdrawal the person made',
        params: CitizenConsentParams,
        response: { 200: SignedReceiptOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const actor = await app.citizen.require(request);
      return service.withdrawalReceipt(request.em, actor, request.params.id, ctxOf(request));
    },
  );

  app.post(
    '/citizen/consents/:id/withdraw',
    {
      // A withdrawal that fails on the server side is recorded as such (`error`).
      config: { ...config, audit: { action: 'citizen.consent.withdraw', resourceType: 'consent' } },
      schema: {
        tags,
        summary: 'Withdraw a consent the signed-in person gave: effective on the next request of every partner; a signed receipt is issued',
        params: CitizenConsentParams,
        body: WithdrawByCitizenBody,
        response: { 200: WithdrawByCitizenOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const actor = await app.citizen.require(request);
      return service.withdraw(request.em, actor, request.params.id, request.body, ctxOf(request), request.log);
    },
  );
};
