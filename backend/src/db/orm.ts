import { MikroORM, type Options } from '@mikro-orm/postgresql';
import pino from 'pino';
import { entities } from './entities.js';
import { applyGrants } from './grants.js';

export type Orm = MikroORM;

interface PooledConnection {
  query(sql: string, cb: (err: Error | null) => void): void;
}

/**
 * knex prints its own warnings (e.g. "Connection Error: …" when PostgreSQL goes away during a
 * failover) as plain text on stdout, which breaks the JSON log lines operators parse. They go
 * through pino instead; they name the error only, never a statement or its values.
 */
const driverLog = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'samverka-api', component: 'database-driver' } });
const driverLogger = {
  warn: (message: unknown) => driverLog.warn({ detail: String(message) }, 'database driver warning'),
  error: (message: unknown) => driverLog.error({ detail: String(message) }, 'database driver error'),
  deprecate: (message: unknown) => driverLog.debug({ detail: String(message) }, 'database driver deprecation'),
  debug: (message: unknown) => driverLog.debug({ detail: String(message) }, 'database driver debug'),
};

/** Name of the API's pooled connections in pg_stat_activity (operators and tests find them by it). */
export const POOL_APPLICATION_NAME = 'samverka-api';

/**
 * How long a request waits to connect, or for a free pooled connection, before it is answered
 * 503: a database that does not answer must not hang requests (knex waits 60 s by default).
 */
const CONNECT_TIMEOUT_MS = 5_000;
const ACQUIRE_TIMEOUT_MS = 10_000;

/**
 * A pooled connection that breaks (database restart, terminated backend) is marked by knex and
 * replaced on the next acquire, and a failed connect is handed to the waiting request at once
 * (knex's `propagateCreateError`), so the pool needs no reconnect loop of its own: while the
 * database is away requests fail fast (503), and the first one after it is back connects again.
 *
 * `role`: every pooled connection switches to it (SET ROLE) before first use, so that the
 * statements of the API run with that role's grants only.
 */
export function ormOptions(clientUrl: string, poolMax = 10, role?: string): Options {
  if (role !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error('invalid database role name');
  return {
    clientUrl,
    entities,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    pool: {
      min: 0,
      max: poolMax,
      ...(role
        ? {
            afterCreate: (conn: PooledConnection, done: (err: Error | null, conn: PooledConnection) => void) =>
              conn.query(`SET ROLE ${role}`, (err) => done(err, conn)),
          }
        : {}),
    },
    driverOptions: {
      acquireConnectionTimeout: ACQUIRE_TIMEOUT_MS,
      log: driverLogger,
      connection: { application_name: POOL_APPLICATION_NAME, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true },
    },
    allowGlobalContext: false,
    debug: false,
    forceUtcTimezone: true,
  };
}

/** `withMigrator` loads the migrations extension; the API process itself does not need it. */
export async function initOrm(clientUrl: string, poolMax?: number, withMigrator = true, role?: string): Promise<Orm> {
  const options = ormOptions(clientUrl, poolMax, role);
  if (withMigrator) {
    const [{ Migrator }, { migrationsList }] = await Promise.all([import('@mikro-orm/migrations'), import('./migrations/index.js')]);
    options.extensions = [Migrator];
    options.migrations = { migrationsList, transactional: true, allOrNothing: true, snapshot: false };
  }
  return MikroORM.init(options);
}

/** Applies pending migrations, then the roles' grants (every time: see grants.ts). */
export async function migrate(orm: Orm): Promise<void> {
  await orm.getMigrator().up();
  await applyGrants(orm.em.fork());
}
