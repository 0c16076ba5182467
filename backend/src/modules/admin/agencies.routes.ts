import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { IdParams, errorResponses } from '../identity/identity.schemas.js';
import { AdminAgencyOut, AgencyBody, AgencyPatchBody } from './admin.schemas.js';
import type { AdminService } from './admin.service.js';

export const agencyRoutes: FastifyPluginAsyncTypebox<{ admin: AdminService }> = async (app, { admin }) => {
  const agencies = admin.agencies;

  app.get(
    '/admin/agencies',
    { schema: { tags: ['admin'], response: { 200: Type.Array(AdminAgencyOut), ...errorResponses(401, 403) } } },
    async (request) => {
      await app.requireAction(request, 'admin.agencies.read', 'agency');
      return agencies.list(request.em);
    },
  );

  app.get(
    '/admin/agencies/:id',
    { schema: { tags: ['admin'], params: IdParams, response: { 200: AdminAgencyOut, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => {
      await app.requireAction(request, 'admin.agencies.read', 'agency');
      return agencies.get(request.em, request.params.id);
    },
  );

  app.post(
    '/admin/agencies',
    { schema: { tags: ['admin'], body: AgencyBody, response: { 201: AdminAgencyOut, ...errorResponses(400, 401, 403, 409) } } },
    async (request, reply) => {
      await app.requireAction(request, 'admin.agencies.write', 'agency');
      return reply.code(201).send(await agencies.create(request.em, request.body, auditContextOf(request)));
    },
  );

  app.patch(
    '/admin/agencies/:id',
    {
      schema: {
        tags: ['admin'],
        summary: "Change an agency's name, kind, areas and sign-in settings (a provider's secret only by reference)",
        params: IdParams,
        body: AgencyPatchBody,
        response: { 200: AdminAgencyOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'admin.agencies.write', 'agency');
      return agencies.update(request.em, request.params.id, request.body, auditContextOf(request));
    },
  );

  for (const [path, active] of [
    ['deactivate', false],
    ['reactivate', true],
  ] as const) {
    app.post(
      `/admin/agencies/:id/${path}`,
      { schema: { tags: ['admin'], params: IdParams, response: { 200: AdminAgencyOut, ...errorResponses(400, 401, 403, 404) } } },
      async (request) => {
        await app.requireAction(request, 'admin.agencies.write', 'agency');
        return agencies.setActive(request.em, request.params.id, active, auditContextOf(request));
      },
    );
  }
};
