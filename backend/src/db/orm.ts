import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { entities } from './entities.js';

export type Orm = MikroORM;

export function ormOptions(clientUrl: string, poolMax = 10): Options {
  return {
    clientUrl,
    entities,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    pool: { min: 0, max: poolMax },
    allowGlobalContext: false,
    debug: false,
    forceUtcTimezone: true,
  };
}

/** `withMigrator` loads the migrations extension; the API process itself does not need it. */
export async function initOrm(clientUrl: string, poolMax?: number, withMigrator = true): Promise<Orm> {
  const options = ormOptions(clientUrl, poolMax);
  if (withMigrator) {
    const [{ Migrator }, { migrationsList }] = await Promise.all([import('@mikro-orm/migrations'), import('./migrations/index.js')]);
    options.extensions = [Migrator];
    options.migrations = { migrationsList, transactional: true, allOrNothing: true, snapshot: false };
  }
  return MikroORM.init(options);
}

export async function migrate(orm: Orm): Promise<void> {
  await orm.getMigrator().up();
}
