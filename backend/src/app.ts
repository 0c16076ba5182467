import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import type { Orm } from './db/orm.js';
import type { ServiceKeys } from './lib/keys.js';
import { agendaRoutes } from './modules/agenda/agenda.routes.js';
import { areasRoutes } from './modules/areas/areas.routes.js';
import { casesRoutes } from './modules/cases/cases.routes.js';
import citizenPlugin from './modules/citizen/citizen.plugin.js';
import { citizenMeRoutes } from './modules/citizen/me.routes.js';
import { citizenAccessReviewRoutes } from './modules/citizen/access-reviews/access-reviews.routes.js';
import { citizenConsentsRoutes } from './modules/citizen/consents/citizen-consents.routes.js';
import { citizenLedgerRoutes } from './modules/citizen/ledger/citizen-ledger.routes.js';
import { citizenAuthRoutes } from './modules/citizen/auth/citizen-auth.routes.js';
import { concernsRoutes } from './modules/concerns/concerns.routes.js';
import { statsRoutes } from './modules/stats/stats.routes.js';
import { RetentionJob } from './modules/retention/retention.job.js';
import { retentionRoutes } from './modules/retention/retention.routes.js';
import { consentsRoutes } from './modules/consents/consents.routes.js';
import { consentRequestsRoutes } from './modules/consent-requests/consent-requests.routes.js';
import { citizenRequestsRoutes } from './modules/consent-requests/citizen-requests.routes.js';
import { documentsRoutes } from './modules/documents/documents.routes.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { registerMetrics } from './modules/metrics/metrics.js';
import { DailyDigest } from './modules/notifications/digest.js';
import { notificationsRoutes } from './modules/notifications/notifications.routes.js';
import { printoutsRoutes } from './modules/printouts/printouts.routes.js';
import { authRoutes } from './modules/identity/identity.routes.js';
import { accountRoutes } from './modules/identity/account.routes.js';
import { oidcRoutes } from './modules/identity/oidc/oidc.routes.js';
import { adminRoutes } from './modules/admin/admin.routes.js';
import { scimRoutes, scimTokenRoutes } from './modules/scim/scim.routes.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { AuditSequencer } from './modules/audit/audit.sequencer.js';
import { AuditQueryService } from './modules/audit/audit.service.js';
import { AuditService, clientRequestIdOf, registerAuditErrorHook } from './plugins/app/audit.js';
import authPlugin from './plugins/app/auth.js';
import { registerErrorHandling } from './plugins/app/errors.js';
import { clientErrorHandler, frameworkErrors, registerUrlLimit } from './plugins/app/http-protocol.js';
import { loadPolicies } from './plugins/app/policies.js';
import { PolicyDecisionPoint } from './plugins/app/policy.js';
import jwtPlugin from './plugins/external/jwt.js';
import rateLimitPlugin from './plugins/external/rate-limit.js';
import { registerOpenApi } from './plugins/external/openapi.js';
import securityHeaders from './plugins/external/security-headers.js';
import { registerValidation } from './plugins/external/validation.js';
import './types.js';

export interface AppDeps {
  config: Config;
  orm: Orm;
  keys: ServiceKeys;
  /** Override the logger (tests pass `false`). */
  logger?: FastifyServerOptions['logger'];
  /** The audit writer (benches pass a subclass to measure what the audit costs); default AuditService. */
  audit?: AuditService;
}

/**
 * Log lines carry where (method, route pattern, status, request id) — never the concrete URL,
 * query string, headers or bodies, which can carry personal data or tokens.
 */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.accessToken', '*.personalIdentityNumber'],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method: string; routeOptions?: { url?: string }; id: string }) => ({
        method: req.method,
        route: req.routeOptions?.url ?? '(unmatched)',
        id: req.id,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/** Builds the API. Layers in order: external plugins, the app's own services, then routes. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config.LOG_LEVEL),
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY === 'true' ? true : config.TRUST_PROXY === 'false' ? false : config.TRUST_PROXY,
    // Always the server's own id; a client's x-request-id is logged beside it as clientRequestId.
    genReqId: () => randomUUID(),
    childLoggerFactory: (logger, bindings, options, raw) => {
      const clientRequestId = clientRequestIdOf(raw.headers);
      return logger.child(clientRequestId ? { ...bindings, clientRequestId } : bindings, options);
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    clientErrorHandler,
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', config);
  app.decorate('orm', deps.orm);
  app.decorate('keys', deps.keys);
  const policies = loadPolicies(config.POLICIES_DIR);
  app.decorate('policy', new PolicyDecisionPoint(policies));
  app.decorate('audit', deps.audit ?? new AuditService());
  // The audit sequencer is built here and started by the server (tests drive it with runOnce()).
  const auditSequencer = new AuditSequencer({
    connectionString: config.AUDIT_SEQUENCER_DATABASE_URL ?? String(deps.orm.config.get('clientUrl')),
    signing: deps.keys.signing,
    dbRole: config.AUDIT_SEQUENCER_DB_ROLE || undefined,
    batchSize: config.AUDIT_SEQUENCER_BATCH,
    intervalMs: config.AUDIT_SEQUENCER_INTERVAL_MS,
    checkpointEvery: config.AUDIT_CHECKPOINT_EVERY,
    checkpointSeconds: config.AUDIT_CHECKPOINT_SECONDS,
    idleResignSeconds: config.AUDIT_CHECKPOINT_IDLE_SECONDS,
    log: app.log,
  });
  app.decorate('auditSequencer', auditSequencer);
  app.decorate('auditQueries', new AuditQueryService(deps.keys.signing, policies.anomalies, config.AUDIT_EXPORT_MAX_ROWS));
  app.addHook('onClose', async () => auditSequencer.stop());
  // The daily digest's jobs are started by the server (tests call runOnce() or start them).
  const digest = new DailyDigest(config, app.log);
  app.decorate('digest', digest);
  app.addHook('onClose', async () => digest.stop());
  // Retention runs through pg-boss once the server starts it (tests call runOnce()).
  const retention = new RetentionJob(() => deps.orm.em.fork(), app.audit, policies.retention, app.log);
  app.decorate('retention', retention);
  app.addHook('onClose', async () => retention.stop());
  registerMetrics(app);

  // External layer
  registerValidation(app);
  registerErrorHandling(app);
  registerUrlLimit(app);
  registerAuditErrorHook(app);
  await app.register(securityHeaders);
  await registerOpenApi(app);
  await app.register(jwtPlugin);
  await app.register(rateLimitPlugin);

  // Graceful shutdown: once closing, every response ends its keep-alive connection, so that
  // in-flight requests finish and the server then stops without waiting for idle clients.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  // A request-scoped EntityManager: no identity map is shared between requests.
  app.decorateRequest('em', null as never);
  app.addHook('onRequest', async (request, reply) => {
    request.em = deps.orm.em.fork();
    reply.header('x-request-id', request.id);
    reply.header('cache-control', 'no-store');
  });

  // The app's own layer
  await app.register(authPlugin);
  await app.register(citizenPlugin);

  // Routes
  await app.register(
    async (api) => {
      await api.register(healthRoutes);
      await api.register(authRoutes);
      await api.register(accountRoutes);
      await api.register(oidcRoutes);
      await api.register(adminRoutes);
      await api.register(scimTokenRoutes);
      await api.register(auditRoutes);
      await api.register(casesRoutes);
      await api.register(consentsRoutes);
      await api.register(consentRequestsRoutes);
      await api.register(printoutsRoutes);
      await api.register(documentsRoutes);
      await api.register(agendaRoutes);
      await api.register(notificationsRoutes);
      await api.register(areasRoutes);
      await api.register(concernsRoutes);
      await api.register(statsRoutes);
      await api.register(retentionRoutes);
      await api.register(citizenAuthRoutes);
      await api.register(citizenMeRoutes);
      await api.register(citizenAccessReviewRoutes);
      await api.register(citizenConsentsRoutes);
      await api.register(citizenLedgerRoutes);
      await api.register(citizenRequestsRoutes);
      api.get('/docs/json', { config: { public: true }, schema: { hide: true } }, async () => api.swagger());
    },
    { prefix: '/api' },
  );
  // SCIM for the agencies' directories: its own wire format and bearer tokens, outside /api.
  await app.register(scimRoutes, { prefix: '/scim/v2' });

  return app;
}
