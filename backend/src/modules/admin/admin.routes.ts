import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../identity/identity.schemas.js';
import { AdminOptionsOut } from './admin.schemas.js';
import { agencyRoutes } from './agencies.routes.js';
import { AdminService } from './admin.service.js';
import { roleRequestRoutes } from './role-requests.routes.js';
import { userRoutes } from './users.routes.js';

/** The admin workspace's API: agencies, users, their roles and the change log. Never case content. */
export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const admin = new AdminService(app);

  app.get(
    '/admin/options',
    {
      schema: {
        tags: ['admin'],
        summary: "The admin forms' choices: the municipality's areas and the roles a second admin must approve",
        response: { 200: AdminOptionsOut, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'admin.agencies.read', 'agency');
      return { areas: app.policy.policies.areas.areas, privilegedRoles: admin.policy.fourEyes.privilegedRoles };
    },
  );
  await app.register(agencyRoutes, { admin });
  await app.register(userRoutes, { admin });
  await app.register(roleRequestRoutes, { admin });
};
