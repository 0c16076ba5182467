import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContextOf } from '../../../plugins/app/audit.js';
import { errorResponses, IdParams } from '../../identity/identity.schemas.js';
import { AccessReviewIn, AccessReviewOut, AccessReviewsOut } from './access-reviews.schemas.js';
import { CitizenAccessReviews, CREATE, READ } from './access-reviews.service.js';

const tags = ['citizen'];

/** Staff: whether a person with protected identity may use the citizen view (the owning unit's social worker). */
export const citizenAccessReviewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const reviews = new CitizenAccessReviews(app);

  app.post(
    '/cases/:id/citizen-access-reviews',
    {
      schema: {
        tags,
        summary: 'Record a review: may the subject (or one guardian) with protected identity use the citizen view?',
        params: IdParams,
        body: AccessReviewIn,
        response: { 201: AccessReviewOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const actor = await app.requireAction(request, CREATE, 'citizen_access_review');
      return reply.code(201).send(await reviews.create(request.em, actor, request.params.id, request.body, auditContextOf(request)));
    },
  );

  app.get(
    '/cases/:id/citizen-access-reviews',
    {
      schema: {
        tags,
        summary: "The citizen-view reviews of the case's subject and guardians, newest first",
        params: IdParams,
        response: { 200: AccessReviewsOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, READ, 'citizen_access_review');
      return reviews.list(request.em, actor, request.params.id, auditContextOf(request));
    },
  );
};
