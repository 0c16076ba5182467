/**
 * Prometheus metrics for operators, served on their own port (METRICS_HOST:METRICS_PORT) so that
 * the public proxy, which forwards only the API's port, never reaches them. Labels carry route
 * patterns, methods and status codes only: never a concrete URL, an id or anything of a person.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sql } from '../../db/sql.js';

/** The sign-in routes whose refusals count as failed or throttled sign-ins. */
const SIGN_IN_ROUTES = new Set(['/api/auth/login', '/api/auth/second-factor']);

/** The knex (tarn) pool behind MikroORM: only what the gauges read. */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

/** Unsequenced events (rows of audit_queue after the log's head) and the age of the oldest. */
const QUEUE_SQL = `
  SELECT count(*)::int AS depth,
         coalesce(extract(epoch FROM clock_timestamp() - min(q.occurred_at)), 0)::float8 AS lag
  FROM audit_queue q
  WHERE (q.txid, q.id) > (
    SELECT coalesce(h.queue_txid, -1), coalesce(h.queue_id, -1) FROM (SELECT 1) one
    LEFT JOIN LATERAL (SELECT queue_txid, queue_id FROM audit_log ORDER BY seq DESC LIMIT 1) h ON true)`;

export class Metrics {
  readonly registry = new Registry();
  private server: http.Server | null = null;
  private readonly log: FastifyInstance['log'];
  private readonly requests: Histogram<'method' | 'route' | 'status_code'>;
  private readonly signIns: Counter<'outcome'>;

  constructor(app: FastifyInstance) {
    this.log = app.log;
    const registry = this.registry;
    collectDefaultMetrics({ register: registry });
    this.requests = new Histogram({
      name: 'samverka_http_request_duration_seconds',
      help: 'API requests by route pattern, method and status: latency (and, through _count, rate)',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.signIns = new Counter({
      name: 'samverka_sign_in_refusals_total',
      help: 'Sign-ins refused: outcome="failed" (wrong credentials or code), "throttled" (too many attempts)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    for (const outcome of ['failed', 'throttled']) this.signIns.inc({ outcome }, 0);

    const pool = (): TarnPool | null =>
      (app.orm.em.getConnection() as unknown as { getKnex(): { client: { pool?: TarnPool } } }).getKnex().client.pool ?? null;
    new Gauge({
      name: 'samverka_db_pool_connections',
      help: 'Database connections of the API pool: state="in_use", "idle", "waiting" (requests waiting for one), "pending" (being opened)',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const p = pool();
        this.set({ state: 'in_use' }, p?.numUsed() ?? 0);
        this.set({ state: 'idle' }, p?.numFree() ?? 0);
        this.set({ state: 'waiting' }, p?.numPendingAcquires() ?? 0);
        this.set({ state: 'pending' }, p?.numPendingCreates() ?? 0);
      },
    });
    new Gauge({
      name: 'samverka_db_pool_max',
      help: 'Largest number of connections the API pool opens (DB_POOL_MAX)',
      registers: [registry],
      collect() {
        this.set(app.config.DB_POOL_MAX);
      },
    });

    // One query per scrape for both audit series; a scrape while the database is away shows NaN.
    type Queue = { depth: number; lag: number; reachable: boolean };
    let queue: Promise<Queue> | null = null;
    const readQueue = (): Promise<Queue> => {
      queue ??= sql<{ depth: number; lag: number }>(app.orm.em.fork(), QUEUE_SQL)
        .then((rows) => ({ ...(rows[0] ?? { depth: 0, lag: 0 }), reachable: true }))
        .catch(() => ({ depth: Number.NaN, lag: Number.NaN, reachable: false }))
        .finally(() => {
          queue = null;
        });
      return queue;
    };
    new Gauge({
      name: 'samverka_ready',
      help: '1 when the database answers this process (what /api/ready reports), 0 when it does not',
      registers: [registry],
      async collect() {
        this.set((await readQueue()).reachable ? 1 : 0);
      },
    });
    new Gauge({
      name: 'samverka_audit_queue_depth',
      help: 'Audit events written by requests and not yet sequenced into the log',
      registers: [registry],
      async collect() {
        this.set((await readQueue()).depth);
      },
    });
    new Gauge({
      name: 'samverka_audit_sequencer_lag_seconds',
      help: 'Age of the oldest audit event not yet sequenced (0 when none waits)',
      registers: [registry],
      async collect() {
        this.set((await readQueue()).lag);
      },
    });
    new Gauge({
      name: 'samverka_audit_sequencer_leader',
      help: '1 when this process holds the sequencer lock (exactly one process in a cluster should)',
      registers: [registry],
      collect() {
        this.set(app.auditSequencer.isLeader ? 1 : 0);
      },
    });
    new Gauge({
      name: 'samverka_audit_verification_ok',
      help: 'Result of the last verification of the audit log in this process: 1 ok, 0 failed, -1 none yet',
      registers: [registry],
      collect() {
        const last = app.auditQueries.verifier.lastOutcome;
        this.set(last ? (last.ok ? 1 : 0) : -1);
      },
    });
    new Gauge({
      name: 'samverka_audit_verification_timestamp_seconds',
      help: 'When the last verification of the audit log in this process finished (0: none yet)',
      registers: [registry],
      collect() {
        this.set((app.auditQueries.verifier.lastOutcome?.at ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'samverka_jobs',
      help: 'Background jobs (pg-boss) by state: "queued", "active", "failed" (failed jobs still retained)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const s = await app.digest.queueStats().catch(() => null);
        this.set({ state: 'queued' }, s?.queued ?? 0);
        this.set({ state: 'active' }, s?.active ?? 0);
        this.set({ state: 'failed' }, s?.failed ?? 0);
      },
    });
  }

  /** Records one answered request under its route pattern (never the concrete URL). */
  observe(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    const pattern = route ?? '(unmatched)';
    this.requests.observe({ method, route: pattern, status_code: String(statusCode) }, seconds);
    if (SIGN_IN_ROUTES.has(pattern)) {
      if (statusCode === 401) this.signIns.inc({ outcome: 'failed' });
      else if (statusCode === 429) this.signIns.inc({ outcome: 'throttled' });
    }
  }

  /** Serves GET /metrics on its own port; the address it listens on. */
  async listen(host: string, port: number): Promise<AddressInfo> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at GET /metrics.\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('The metrics could not be collected; see the API log.\n'),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Once listening, a fault of the metrics port is logged; it never takes the API down.
    server.on('error', (e: Error) =>
      this.log.error({ err: { type: e.name, code: (e as { code?: string }).code } }, 'metrics server error'),
    );
    this.server = server;
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/** Decorates the app with its metrics and times every answered request. */
export function registerMetrics(app: FastifyInstance): void {
  const metrics = new Metrics(app);
  app.decorate('metrics', metrics);
  app.addHook('onResponse', async (request, reply) => {
    metrics.observe(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
  });
  app.addHook('onClose', async () => metrics.close());
}
