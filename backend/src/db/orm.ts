import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { entities } from './entities.js';
import { applyGrants } from './grants.js';

export type Orm = MikroORM;

interface PooledConnection {
  query(sql: string, cb: (err: Error | null) => void): void;
}

/**
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
      ...(role ? { afterCreate: (conn: PooledConnection, done: (err: Error | null, conn: PooledConnection) => void) => conn.query(`SET ROLE ${role}`, (err) => done(err, conn)) } : {}),
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
