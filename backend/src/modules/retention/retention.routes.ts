import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { errorResponses } from '../identity/identity.schemas.js';
import type { RetentionJob } from './retention.job.js';
import { retentionReport } from './retention.report.js';
import { RetentionQuery, RetentionReport } from './retention.schemas.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The scheduled retention run: started by the server through pg-boss; tests call runOnce(). */
    retention: RetentionJob;
  }
}

/** The auditor's retention report (`audit.read`): counts, rules and ids, audited before it leaves. */
export const retentionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit/retention',
    {
      config: { audit: { action: 'retention.report', resourceType: 'retention' } },
      schema: {
        tags: ['audit'],
        summary: 'Retention: what is due, what an exception keeps, what was erased when and under which rule',
        querystring: RetentionQuery,
        response: { 200: RetentionReport, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'audit.read', 'retention');
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'retention.report',
        resourceType: 'retention',
        outcome: 'allowed',
        reason: 'role',
      });
      return retentionReport(request.em, app.policy.policies.retention, request.query.limit ?? 100);
    },
  );
};
