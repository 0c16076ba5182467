import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { IdParams, errorResponses } from '../identity/identity.schemas.js';
import { ChangePage, ChangeQuery, RoleRequestOut, RoleRequestPage, RoleRequestQuery } from './admin.schemas.js';
import type { AdminService } from './admin.service.js';
import { listChanges } from './change-log.js';

export const roleRequestRoutes: FastifyPluginAsyncTypebox<{ admin: AdminService }> = async (app, { admin }) => {
  const requests = admin.roleRequests;

  app.get(
    '/admin/role-requests',
    {
      schema: {
        tags: ['admin'],
        summary: 'Role grants waiting for a second admin (four eyes), or decided ones',
        querystring: RoleRequestQuery,
        response: { 200: RoleRequestPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'admin.role_requests.read', 'role_request');
      return requests.list(request.em, request.query, auditContextOf(request));
    },
  );

  for (const [path, approve] of [
    ['approve', true],
    ['reject', false],
  ] as const) {
    app.post(
      `/admin/role-requests/:id/${path}`,
      {
        schema: {
          tags: ['admin'],
          summary: approve ? 'Approve a role request: the roles take effect at once' : 'Reject a role request',
          params: IdParams,
          response: { 200: RoleRequestOut, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        await app.requireAction(request, 'admin.role_requests.decide', 'role_request');
        return requests.decide(request.em, request.params.id, approve, auditContextOf(request));
      },
    );
  }

  app.get(
    '/admin/changes',
    {
      schema: {
        tags: ['admin'],
        summary: 'Every admin change with its values before and after (never a password or a secret)',
        querystring: ChangeQuery,
        response: { 200: ChangePage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'admin.changes.read', 'admin_change');
      return listChanges(app.audit, request.em, auditContextOf(request), request.query);
    },
  );
};
