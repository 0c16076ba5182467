import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { auditContextOf } from '../../../plugins/app/audit.js';
import { LoginOut, errorResponses } from '../identity.schemas.js';
import { CallbackQuery, ProvidersOut, StartParams } from './oidc.schemas.js';
import { OidcSignIn } from './oidc.service.js';

/** Sign-in through an agency's own OpenID Connect provider (public: these routes come before a session). */
export const oidcRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const oidc = new OidcSignIn(app);

  app.get(
    '/auth/providers',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'The organisations that sign in through their own identity provider, and whether local sign-in is offered',
        response: { 200: ProvidersOut },
      },
    },
    async (request) => oidc.providers(request.em),
  );

  app.get(
    '/auth/oidc/:agencyId/start',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: "Start signing in through the agency's provider: redirects there (authorization code flow with PKCE)",
        params: StartParams,
        response: {
          302: Type.Null({ description: "To the provider's authorization endpoint (Location)" }),
          ...errorResponses(400, 404, 429, 502),
        },
      },
    },
    async (request, reply) =>
      reply.redirect(await oidc.start(request.em, request.params.agencyId, auditContextOf(request), request.log), 302),
  );

  app.get(
    '/auth/oidc/callback',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: "Finish signing in with the provider's answer (called by the web app at its redirect URI)",
        querystring: CallbackQuery,
        response: { 200: LoginOut, ...errorResponses(400, 401, 403, 404, 429, 502) },
      },
    },
    async (request) => oidc.callback(request.em, request.query, auditContextOf(request), request.log),
  );
};
