import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import fp from 'fastify-plugin';
import { auditContextOf } from '../../plugins/app/audit.js';
import { errorResponses } from '../identity/identity.schemas.js';
import { overviewCsv } from './stats.csv.js';
import { OverviewOut, OverviewQuery } from './stats.schemas.js';
import { StatsService } from './stats.service.js';

/**
 * Group-level figures (issue 14): counts without identities for the coordinator and the steering
 * group. A role without `stats.overview.read` gets 403, audited.
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const stats = new StatsService(app);
  const tags = ['stats'];

  app.get(
    '/stats/overview',
    {
      config: { audit: { action: 'stats.overview.read', resourceType: 'group_stats' } },
      schema: {
        tags,
        summary: 'Group-level figures per area, type and month: cases, outcomes, concerns, lead times; small cells suppressed',
        querystring: OverviewQuery,
        response: { 200: OverviewOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'stats.overview.read', 'group_stats');
      return stats.overview(request.em, request.query, auditContextOf(request), 'stats.overview.read');
    },
  );

  app.get(
    '/stats/overview.csv',
    {
      config: { audit: { action: 'stats.overview.csv', resourceType: 'group_stats' } },
      schema: {
        tags,
        summary: 'The group-level figures of GET /stats/overview as CSV (UTF-8 with BOM, `;`), suppressed alike',
        querystring: OverviewQuery,
        produces: ['text/csv'],
        response: { 200: Type.String(), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      await app.requireAction(request, 'stats.overview.read', 'group_stats');
      const overview = await stats.overview(request.em, request.query, auditContextOf(request), 'stats.overview.csv');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="samverka-figures-${overview.from}-${overview.to}.csv"`)
        .send(overviewCsv(overview));
    },
  );
};

export const statsRoutes = fp(routes, { name: 'stats' });
