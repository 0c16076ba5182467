import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

/**
 * Security headers on every answer: helmet's defaults, with a Content-Security-Policy that allows
 * nothing beyond them (the API serves JSON, never pages). The middleware is built once:
 * @fastify/helmet built it again — parsing the policy — on every request, which showed as a few
 * per cent of the API's time in CPU profiles of the case routes. test/app/security-headers.test.ts
 * pins the headers.
 */
export default fp(
  async function securityHeaders(app: FastifyInstance) {
    const apply = helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } });
    app.addHook('onRequest', (request, reply, done) => {
      apply(request.raw, reply.raw, (err?: unknown) => done(err === undefined || err instanceof Error ? err : new Error(String(err))));
    });
  },
  { name: 'security-headers' },
);
