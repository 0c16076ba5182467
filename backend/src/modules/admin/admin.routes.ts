import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { agencyRoutes } from './agencies.routes.js';
import { AdminService } from './admin.service.js';
import { roleRequestRoutes } from './role-requests.routes.js';
import { userRoutes } from './users.routes.js';

/** The admin workspace's API: agencies, users, their roles and the change log. Never case content. */
export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const admin = new AdminService(app);
  await app.register(agencyRoutes, { admin });
  await app.register(userRoutes, { admin });
  await app.register(roleRequestRoutes, { admin });
};
