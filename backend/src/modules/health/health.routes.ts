import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { HttpProblem } from '../../lib/problem.js';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    config: { public: true },
    schema: { tags: ['health'], summary: 'The process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/ready', {
    config: { public: true },
    schema: { tags: ['health'], summary: 'The database is reachable', response: { 200: Type.Object({ status: Type.Literal('ready') }) } },
  }, async (request) => {
    try {
      await request.em.getConnection().execute('SELECT 1');
    } catch {
      throw new HttpProblem(503, 'not_ready', 'Not ready', 'The database is not reachable.');
    }
    return { status: 'ready' as const };
  });
};
