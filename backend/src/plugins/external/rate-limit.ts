import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from '../../lib/problem.js';
import { errorResponses } from '../../modules/identity/identity.schemas.js';

export type Budget = 'login' | 'search' | 'verify' | 'export';

/**
 * The routes whose every request costs far more than an ordinary read (a password hash, a search,
 * a signature or hash-chain check, an export), each with the budget it draws on. One budget is
 * shared by all its routes. A HEAD request counts as its GET.
 */
export const RATE_LIMITED_ROUTES: Readonly<Record<string, Budget>> = {
  'POST /api/auth/login': 'login',
  'GET /api/auth/oidc/:agencyId/start': 'login',
  'GET /api/auth/oidc/callback': 'login',
  'GET /api/citizen/auth/start': 'login',
  'GET /api/citizen/auth/callback': 'login',
  'POST /api/cases/search': 'search',
  'GET /api/audit/events': 'search',
  'POST /api/audit/subjects/lookup': 'search',
  'POST /api/consents/receipts/verify': 'verify',
  'GET /api/audit/verify': 'verify',
  'GET /api/audit/export': 'export',
  'GET /api/audit/export.csv': 'export',
  'GET /api/audit/subjects/:id/extract': 'export',
  'GET /api/audit/subjects/:id/extract.csv': 'export',
};

/** Per signed-in user; before sign-in, per address (an IPv6 client by its /64). */
const keyOf = (request: FastifyRequest): string => (request.actor ? `u:${request.actor.id}` : `a:${normalizeIP(request.ip)}`);

/**
 * Per-user request budgets on the expensive routes, per minute (RATE_LIMIT_*_PER_MINUTE), kept in
 * this process. Checked before the handler, after authentication (so a signed-in user is counted
 * as that user whatever address they come from). Beyond the budget: 429 problem+json with
 * Retry-After.
 */
export default fp(
  async function rateLimitPlugin(app: FastifyInstance) {
    await app.register(rateLimit, { global: false });
    const c = app.config;
    const perMinute: Record<Budget, number> = {
      login: c.RATE_LIMIT_LOGIN_PER_MINUTE,
      search: c.RATE_LIMIT_SEARCH_PER_MINUTE,
      verify: c.RATE_LIMIT_VERIFY_PER_MINUTE,
      export: c.RATE_LIMIT_EXPORT_PER_MINUTE,
    };
    const limiters = Object.fromEntries(
      Object.entries(perMinute).map(([budget, max]) => [budget, app.createRateLimit({ max, timeWindow: 60_000, keyGenerator: keyOf })]),
    ) as Record<Budget, ReturnType<FastifyInstance['createRateLimit']>>;

    app.addHook('onRoute', (route: RouteOptions) => {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => (m === 'HEAD' ? 'GET' : m));
      const budget = methods.map((m) => RATE_LIMITED_ROUTES[`${m} ${route.url}`]).find((b) => b !== undefined);
      if (!budget) return;
      const limiter = limiters[budget];
      const check = async (request: FastifyRequest): Promise<void> => {
        const result = await limiter(request);
        if (result.isAllowed || !result.isExceeded) return;
        const wait = Math.max(1, result.ttlInSeconds);
        request.log.warn({ budget }, 'rate limited');
        throw new HttpProblem(429, 'rate_limited', 'Too many requests', `Wait ${wait} seconds before trying again.`, {
          'retry-after': String(wait),
        });
      };
      const existing = route.preHandler ? (Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler]) : [];
      route.preHandler = [check, ...existing];
      if (route.schema) route.schema.response = { ...errorResponses(429), ...(route.schema.response as object | undefined) };
    });
  },
  { name: 'rate-limit' },
);
