import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { CitizenRelation } from '../citizen/citizen.types.js';
import { errorResponses } from '../identity/identity.schemas.js';
import { AcceptBody, AcceptOut, CitizenRequestListOut, CitizenRequestParams, DeclineBody, DeclineOut } from './consent-requests.schemas.js';
import { CitizenRequestsService } from './citizen-requests.service.js';

/**
 * The person's side of consent requests: the requests they must answer (as the subject from the
 * age consent.yaml says, or as a guardian with custody), and their accept or decline, confirmed
 * with a fresh e-identification. Anything not theirs answers 404 like a request that does not exist.
 */
export const citizenRequestsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const service = new CitizenRequestsService(app);
  const tags = ['citizen'];
  const ctxFor = (request: FastifyRequest) => (relation: CitizenRelation | null) => app.citizen.auditContext(request, relation);

  app.get(
    '/citizen/requests',
    {
      config: { citizen: true, audit: { action: 'citizen.request.list', resourceType: 'consent_request' } },
      schema: {
        tags,
        summary: 'The consent requests the signed-in person must answer, with their answer so far',
        response: { 200: CitizenRequestListOut, ...errorResponses(401) },
      },
    },
    async (request) => {
      const actor = await app.citizen.require(request);
      return { items: await service.listForCitizen(request.em, actor, ctxFor(request)) };
    },
  );

  app.post(
    '/citizen/requests/:id/accept',
    {
      config: { citizen: true, audit: { action: 'citizen.request.accept', resourceType: 'consent_request' } },
      schema: {
        tags,
        summary: 'Accept a consent request: it becomes a digital consent with a signed receipt',
        params: CitizenRequestParams,
        body: AcceptBody,
        response: { 201: AcceptOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = await app.citizen.require(request);
      const { consentId } = await service.answer(request.em, actor, request.params.id, 'accept', null, ctxFor(request));
      return reply.code(201).send({ consentId: consentId!, receiptUrl: `/api/citizen/consents/${consentId!}/receipt` });
    },
  );

  app.post(
    '/citizen/requests/:id/decline',
    {
      config: { citizen: true, audit: { action: 'citizen.request.decline', resourceType: 'consent_request' } },
      schema: {
        tags,
        summary: 'Decline a consent request (no consent is given; the social worker sees the optional reason)',
        params: CitizenRequestParams,
        body: DeclineBody,
        response: { 200: DeclineOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const actor = await app.citizen.require(request);
      const reason = request.body.reason?.trim() || null;
      const { status } = await service.answer(request.em, actor, request.params.id, 'decline', reason, ctxFor(request));
      return { status };
    },
  );
};
