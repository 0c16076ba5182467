import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { HttpProblem } from '../../lib/problem.js';
import { Problem } from '../identity/identity.schemas.js';

/** A readiness probe must answer quickly, also when the database hangs rather than refuses. */
const READY_TIMEOUT_MS = 2_000;

const notReady = (): HttpProblem =>
  new HttpProblem(503, 'not_ready', 'Not ready', 'The service cannot reach its database. It reconnects by itself; try again shortly.', {
    'retry-after': '5',
  });

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: { tags: ['health'], summary: 'The process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'The database is reachable',
        description: 'Answers 503 while the database cannot be reached; the service reconnects by itself.',
        response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: Problem },
      },
    },
    async (request) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(notReady()), READY_TIMEOUT_MS);
      });
      try {
        await Promise.race([request.em.getConnection().execute('SELECT 1'), timeout]);
      } catch {
        throw notReady();
      } finally {
        clearTimeout(timer);
      }
      return { status: 'ready' as const };
    },
  );
};
