import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { AdminUserOut, AgencyBody, AgencyOut, IdParams, LoginBody, LoginOut, MeOut, UserBody, errorResponses } from './identity.schemas.js';

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with user name and password',
        body: LoginBody,
        response: { 200: LoginOut, ...errorResponses(400, 401, 429, 503) },
      },
    },
    async (request) => app.identity.login(request.em, request.body.username, request.body.password, auditContextOf(request)),
  );

  app.post(
    '/auth/logout',
    {
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
      };
    },
  );
};

export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/admin/agencies',
    {
      schema: { tags: ['admin'], response: { 200: Type.Array(AgencyOut), ...errorResponses(401, 403) } },
    },
    async (request) => {
      await app.requireAction(request, 'admin.agencies.read', 'agency');
      return app.identity.listAgencies(request.em);
    },
  );

  app.post(
    '/admin/agencies',
    {
      schema: { tags: ['admin'], body: AgencyBody, response: { 201: AgencyOut, ...errorResponses(400, 401, 403, 409) } },
    },
    async (request, reply) => {
      await app.requireAction(request, 'admin.agencies.write', 'agency');
      return reply.code(201).send(await app.identity.createAgency(request.em, request.body, auditContextOf(request)));
    },
  );

  app.get(
    '/admin/users',
    {
      schema: { tags: ['admin'], response: { 200: Type.Array(AdminUserOut), ...errorResponses(401, 403) } },
    },
    async (request) => {
      await app.requireAction(request, 'admin.users.read', 'user');
      return app.identity.listUsers(request.em, auditContextOf(request));
    },
  );

  app.post(
    '/admin/users',
    {
      schema: { tags: ['admin'], body: UserBody, response: { 201: AdminUserOut, ...errorResponses(400, 401, 403, 409) } },
    },
    async (request, reply) => {
      await app.requireAction(request, 'admin.users.write', 'user');
      return reply.code(201).send(await app.identity.createUser(request.em, request.body, auditContextOf(request)));
    },
  );

  app.post(
    '/admin/users/:id/deactivate',
    {
      schema: { tags: ['admin'], params: IdParams, response: { 200: AdminUserOut, ...errorResponses(400, 401, 403, 404) } },
    },
    async (request) => {
      await app.requireAction(request, 'admin.users.write', 'user');
      return app.identity.deactivateUser(request.em, request.params.id, auditContextOf(request));
    },
  );
};
