// First: with OTEL_ENABLED, tracing must patch http and pg before anything below loads them.
import { stopTracing } from './telemetry.js';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { EmbeddedStartError, startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { APP_ROLE, SEQUENCER_ROLE } from './db/grants.js';
import { JOBS_ROLE, prepareJobsSchema } from './db/jobs-role.js';
import { initOrm, type Orm } from './db/orm.js';
import { Backoff } from './db/backoff.js';
import { EXIT_DATABASE_UNREACHABLE, isDatabaseUnavailable } from './db/unavailable.js';
import { DEMO_USERS } from './db/seed.js';
import { loadKeys, type ServiceKeys } from './lib/keys.js';

const log = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'samverka-api' } });

/** The compiled build (dist/*.js) runs plain JavaScript; a checkout (src/*.ts) runs through tsx. */
function prepareArgs(): string[] {
  const compiled = import.meta.url.endsWith('.js');
  const script = fileURLToPath(new URL(compiled ? './db/prepare.js' : './db/prepare.ts', import.meta.url));
  return compiled ? [script] : ['--import', 'tsx', script];
}

/** A start that cannot go on; the message says what to do, in one sentence. */
class StartError extends Error {}

async function main(): Promise<void> {
  let config: Config;
  let keys: ServiceKeys;
  try {
    config = loadConfig();
    // Before any database work: missing keys are a configuration problem with its own message.
    keys = loadKeys(config.KEYS_DIR, config.DEMO);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\nSee README.md, section "Configuration".\n`);
      process.exit(78);
    }
    throw e;
  }

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres(config.PG_DATA_DIR, config.PG_PORT, (m) => log.info(m));
    await embedded.ensureDatabase('samverka');
    databaseUrl = embedded.databaseUrl('samverka');
    log.info({ port: config.PG_PORT }, 'embedded PostgreSQL started');
  }

  // A database that is not up yet (started together with the API, restarting) is waited for.
  const retry = new Backoff(1_000, 10_000);
  for (;;) {
    const prepare = spawnSync(process.execPath, prepareArgs(), {
      env: { ...process.env, PREPARE_DATABASE_URL: config.MIGRATION_DATABASE_URL ?? databaseUrl },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (prepare.status === 0) break;
    if (prepare.status !== EXIT_DATABASE_UNREACHABLE) {
      throw new StartError('The database could not be prepared (migrations or demo data): see the messages above.');
    }
    const delay = retry.next();
    log.warn({ retryInMs: delay }, 'the database cannot be reached; trying again (check DATABASE_URL if this persists)');
    await new Promise((r) => setTimeout(r, delay));
  }
  // pg-boss creates and migrates its own schema (pgboss): it signs in as the role that migrates,
  // or with the embedded database as the role that owns just that schema (never the superuser).
  let jobsUrl = config.MIGRATION_DATABASE_URL ?? databaseUrl;
  if (embedded) {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await prepareJobsSchema(admin);
    } finally {
      await admin.end();
    }
    jobsUrl = await embedded.loginUrl('samverka', JOBS_ROLE);
    // The superuser only migrated and granted: the API and the sequencer sign in as their own
    // roles (created by the grants), with nothing to RESET ROLE back to.
    databaseUrl = await embedded.loginUrl('samverka', APP_ROLE);
    config = {
      ...config,
      AUDIT_SEQUENCER_DATABASE_URL: config.AUDIT_SEQUENCER_DATABASE_URL ?? (await embedded.loginUrl('samverka', SEQUENCER_ROLE)),
    };
  }
  const orm: Orm = await initOrm(databaseUrl, config.DB_POOL_MAX, false, config.DB_ROLE || undefined);
  const app: FastifyInstance = await buildApp({ config, orm, keys });

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    // In this order: stop accepting and let in-flight requests finish (their audit events commit
    // with them; the sequencer sequences what is left), then close the pool, then the database.
    let code = 0;
    try {
      await app.close();
      await orm.close();
      await embedded?.stop();
      await stopTracing();
      log.info('stopped');
    } catch (e) {
      code = 1;
      log.error({ err: { type: (e as Error).name, code: (e as { code?: string }).code } }, 'shutdown did not complete cleanly');
    } finally {
      process.exit(code);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const address = await app.listen({ host: config.HOST, port: config.PORT }).catch((e: unknown) => {
    if ((e as { code?: string }).code !== 'EADDRINUSE') throw e;
    throw new StartError(
      `Port ${config.PORT} is already in use (perhaps by an earlier Samverka still running): stop that process, or set PORT to a free port.`,
    );
  });
  if (config.METRICS_PORT) {
    // Metrics are for operators: a busy port leaves them off rather than the API down.
    await app.metrics.listen(config.METRICS_HOST, config.METRICS_PORT).then(
      (a) => log.info({ metrics: `${a.address}:${a.port}` }, 'metrics listening'),
      (e: unknown) =>
        log.warn({ err: { code: (e as { code?: string }).code } }, 'metrics are off: METRICS_PORT cannot be used (set a free one)'),
    );
  }
  if (config.AUDIT_SEQUENCER) app.auditSequencer.start();
  if (config.JOBS) app.digest.startInBackground(jobsUrl);
  if (config.JOBS) app.retention.startInBackground(jobsUrl);
  log.info({ address }, 'API listening');
  if (config.DEMO) {
    log.info({ users: DEMO_USERS.map((u) => u.username) }, 'demo sign-ins use DEMO_PASSWORD');
  }
}

/** What to do, in one sentence. Not a database error's own message: it can carry the values of rows. */
function startFailure(e: unknown): string {
  if (e instanceof StartError || e instanceof EmbeddedStartError) return e.message;
  if (isDatabaseUnavailable(e)) return 'The database cannot be reached: start it, or correct DATABASE_URL, and start again.';
  if (e instanceof Error)
    return `Unexpected ${e.name}${(e as { code?: string }).code ? ` (${(e as { code?: string }).code})` : ''} during start: see "where" below.`;
  return `Unexpected failure during start: ${String(e)}.`;
}

main().catch((e: unknown) => {
  const err =
    e instanceof Error
      ? { type: e.name, code: (e as { code?: string }).code, where: e.stack?.split('\n').slice(1, 6).join('\n') }
      : { type: typeof e };
  log.fatal({ err }, `start failed: ${startFailure(e)}`);
  process.exit(1);
});
