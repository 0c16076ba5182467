import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { AgencyOut, IdParams, errorResponses } from '../identity/identity.schemas.js';
import { AdminUserOut, AgencyBody, UserBody } from './admin.schemas.js';
import { AdminService } from './admin.service.js';

/** The admin workspace's API: agencies, users and their roles. Never case content. */
export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const admin = new AdminService(app);

  app.get(
    '/admin/agencies',
    {
      schema: { tags: ['admin'], response: { 200: Type.Array(AgencyOut), ...errorResponses(401, 403) } },
    },
    async (request) => {
      await app.requireAction(request, 'admin.agencies.read', 'agency');
      return admin.listAgencies(request.em);
    },
  );

  app.post(
    '/admin/agencies',
    {
      schema: { tags: ['admin'], body: AgencyBody, response: { 201: AgencyOut, ...errorResponses(400, 401, 403, 409) } },
    },
    async (request, reply) => {
      await app.requireAction(request, 'admin.agencies.write', 'agency');
      return reply.code(201).send(await admin.createAgency(request.em, request.body, auditContextOf(request)));
    },
  );

  app.get(
    '/admin/users',
    {
      schema: { tags: ['admin'], response: { 200: Type.Array(AdminUserOut), ...errorResponses(401, 403) } },
    },
    async (request) => {
      await app.requireAction(request, 'admin.users.read', 'user');
      return admin.listUsers(request.em, auditContextOf(request));
    },
  );

  app.post(
    '/admin/users',
    {
      schema: { tags: ['admin'], body: UserBody, response: { 201: AdminUserOut, ...errorResponses(400, 401, 403, 409) } },
    },
    async (request, reply) => {
      await app.requireAction(request, 'admin.users.write', 'user');
      return reply.code(201).send(await admin.createUser(request.em, request.body, auditContextOf(request)));
    },
  );

  app.post(
    '/admin/users/:id/deactivate',
    {
      schema: { tags: ['admin'], params: IdParams, response: { 200: AdminUserOut, ...errorResponses(400, 401, 403, 404) } },
    },
    async (request) => {
      await app.requireAction(request, 'admin.users.write', 'user');
      return admin.deactivateUser(request.em, request.params.id, auditContextOf(request));
    },
  );
};
