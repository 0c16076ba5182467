import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses } from '../../identity/identity.schemas.js';
import { CallbackQuery, CitizenSignInOut, StartQuery } from './citizen-auth.schemas.js';
import { CitizenSignInService } from './citizen-auth.service.js';

/** The citizen's sign-in with e-identification, and sign-out. Start and callback come before a session: public. */
export const citizenAuthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const service = new CitizenSignInService(app);

  app.get(
    '/citizen/auth/start',
    {
      config: { public: true },
      schema: {
        tags: ['citizen'],
        summary: "Start a citizen's sign-in: redirects to the e-identification provider (code flow with PKCE, acr_values)",
        querystring: StartQuery,
        response: {
          302: Type.Null({ description: "To the provider's authorization endpoint (Location)" }),
          ...errorResponses(400, 404, 429, 502),
        },
      },
    },
    async (request, reply) =>
      reply.redirect(await service.start(request.em, request.query.returnTo, app.citizen.auditContext(request, null), request.log), 302),
  );

  app.get(
    '/citizen/auth/callback',
    {
      config: { public: true },
      schema: {
        tags: ['citizen'],
        summary: "Finish a citizen's sign-in with the provider's answer (called by the web app at <ORIGIN>/citizen/login/callback)",
        querystring: CallbackQuery,
        response: { 200: CitizenSignInOut, ...errorResponses(400, 401, 403, 404, 429, 502) },
      },
    },
    async (request) => service.callback(request.em, request.query, app.citizen.auditContext(request, null), request.log),
  );

  app.post(
    '/citizen/auth/logout',
    {
      config: { citizen: true },
      schema: {
        tags: ['citizen'],
        summary: "End the citizen's session now",
        response: { 204: Type.Null({ description: 'Signed out' }), ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      const actor = await app.citizen.require(request);
      await service.logout(request.em, actor, app.citizen.auditContext(request, null));
      return reply.code(204).send(null);
    },
  );
};
