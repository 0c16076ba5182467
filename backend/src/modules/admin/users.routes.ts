import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { IdParams, errorResponses } from '../identity/identity.schemas.js';
import { AdminUserOut, AdminUserPage, CreatedUserOut, SessionsEndedOut, UserBody, UserPatchBody, UserQuery } from './admin.schemas.js';
import type { AdminService } from './admin.service.js';

export const userRoutes: FastifyPluginAsyncTypebox<{ admin: AdminService }> = async (app, { admin }) => {
  const users = admin.users;

  app.get(
    '/admin/users',
    {
      schema: {
        tags: ['admin'],
        summary: 'Users, searched by name, user name or e-mail and filtered by agency, role and status',
        querystring: UserQuery,
        response: { 200: AdminUserPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'admin.users.read', 'user');
      return users.list(request.em, request.query, auditContextOf(request));
    },
  );

  app.get(
    '/admin/users/:id',
    { schema: { tags: ['admin'], params: IdParams, response: { 200: AdminUserOut, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => {
      await app.requireAction(request, 'admin.users.read', 'user');
      return users.get(request.em, request.params.id, auditContextOf(request));
    },
  );

  app.post(
    '/admin/users',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a user; privileged roles wait for a second admin (policies/administration.yaml)',
        body: UserBody,
        response: { 201: CreatedUserOut, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      await app.requireAction(request, 'admin.users.write', 'user');
      return reply.code(201).send(await users.create(request.em, request.body, auditContextOf(request)));
    },
  );

  app.patch(
    '/admin/users/:id',
    {
      schema: {
        tags: ['admin'],
        summary: "Change a user's name, e-mail, agency, provider subject or roles; privileged roles wait for a second admin",
        params: IdParams,
        body: UserPatchBody,
        response: { 200: AdminUserOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'admin.users.write', 'user');
      return users.update(request.em, request.params.id, request.body, auditContextOf(request));
    },
  );

  for (const [path, active] of [
    ['deactivate', false],
    ['reactivate', true],
  ] as const) {
    app.post(
      `/admin/users/:id/${path}`,
      { schema: { tags: ['admin'], params: IdParams, response: { 200: AdminUserOut, ...errorResponses(400, 401, 403, 404) } } },
      async (request) => {
        await app.requireAction(request, 'admin.users.write', 'user');
        return users.setActive(request.em, request.params.id, active, auditContextOf(request));
      },
    );
  }

  app.post(
    '/admin/users/:id/reset-mfa',
    {
      schema: {
        tags: ['admin'],
        summary: "Remove the user's second factor (they enrol again) and end their sessions",
        params: IdParams,
        response: { 200: AdminUserOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'admin.users.write', 'user');
      return users.resetMfa(request.em, request.params.id, auditContextOf(request));
    },
  );

  app.post(
    '/admin/users/:id/sessions/end',
    {
      schema: {
        tags: ['admin'],
        summary: 'End every session of the user at once (the account stays active)',
        params: IdParams,
        response: { 200: SessionsEndedOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'admin.users.write', 'user');
      return users.endSessions(request.em, request.params.id, auditContextOf(request));
    },
  );
};
