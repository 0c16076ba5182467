import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { LoginBody, LoginOut, MeOut, SecondStepOut, errorResponses } from './identity.schemas.js';

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with user name and password',
        description:
          'A session at once, or (when policies/authentication.yaml requires a second factor, or the user enrolled one) a challenge for POST /auth/mfa',
        body: LoginBody,
        response: { 200: Type.Union([LoginOut, SecondStepOut]), ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (request) => app.identity.login(request.em, request.body.username, request.body.password, auditContextOf(request)),
  );

  app.post(
    '/auth/logout',
    {
      config: { whilePasswordChangeDue: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign out: the session is revoked at once',
        response: { 204: Type.Null(), ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      await app.identity.logout(request.em, request.actor!, auditContextOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/refresh',
    {
      config: { whilePasswordChangeDue: true },
      schema: {
        tags: ['auth'],
        summary: 'A new access token for the same live session (sliding sign-in)',
        response: { 200: LoginOut, ...errorResponses(401) },
      },
    },
    async (request) => app.identity.refresh(request.actor!),
  );

  app.get(
    '/me',
    {
      config: { whilePasswordChangeDue: true },
      schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: MeOut, ...errorResponses(401) } },
    },
    async (request) => {
      const a = request.actor!;
      return {
        id: a.id,
        username: a.username,
        displayName: a.displayName,
        agencyId: a.agencyId,
        roles: a.roles,
        agency: { id: a.agencyId, name: a.agencyName, kind: a.agencyKind },
        mustChangePassword: a.mustChangePassword ?? false,
      };
    },
  );
};
