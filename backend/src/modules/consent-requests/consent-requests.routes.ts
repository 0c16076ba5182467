import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { errorResponses } from '../identity/identity.schemas.js';
import { CaseParams, CreateRequestBody, RequestListOut, RequestOut, RequestParams } from './consent-requests.schemas.js';
import { ConsentRequestsService } from './consent-requests.service.js';

/**
 * The owning unit's side of consent requests. Like the consent routes: a case the caller's unit
 * does not own answers 404 (audited), a role that may not use consents 403 (audited).
 */
export const consentRequestsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const service = new ConsentRequestsService(app);
  const tags = ['consent-requests'];

  app.post(
    '/cases/:id/consent-requests',
    {
      schema: {
        tags,
        summary: 'Ask the person (and each guardian with custody) to consent to an exact scope in the e-service',
        params: CaseParams,
        body: CreateRequestBody,
        response: { 201: RequestOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = await app.requireAction(request, 'consent.request.create', 'consent_request');
      return reply.code(201).send(await service.create(request.em, actor, request.params.id, request.body, auditContextOf(request)));
    },
  );

  app.get(
    '/cases/:id/consent-requests',
    {
      schema: {
        tags,
        summary: "The case's consent requests, newest first, with each one's answers and who is still awaited",
        params: CaseParams,
        response: { 200: RequestListOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'consent.request.read', 'consent_request');
      return { items: await service.list(request.em, actor, request.params.id, auditContextOf(request)) };
    },
  );

  app.post(
    '/cases/:id/consent-requests/:requestId/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel an open consent request (consents already given by accepting stay)',
        params: RequestParams,
        response: { 200: RequestOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'consent.request.cancel', 'consent_request');
      return service.cancel(request.em, actor, request.params.id, request.params.requestId, auditContextOf(request));
    },
  );
};
