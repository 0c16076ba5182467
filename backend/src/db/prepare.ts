// Applies the committed migrations and the roles' grants, seeds the demo data when asked
// (DEMO=1), then exits.
// Run by the server in a child process at start, so that the migrator and the password hashing
// of the seed do not stay resident in the API process. Several API replicas starting together
// (Kubernetes, the HA drill) take turns: a session-level advisory lock on its own connection
// serialises migrations and seeding, and is released when that connection ends.

/** The advisory lock key of migrations ('samverka' 'migr' as bytes): apart from the sequencer's. */
const MIGRATION_LOCK_KEY = 0x73616d7665726b61n ^ 0x6d696772n;
import pg from 'pg';
import { loadConfig } from '../config.js';
import { initOrm, migrate } from './orm.js';
import { seedDemo } from './seed.js';
import { EXIT_DATABASE_UNREACHABLE, isDatabaseUnavailable } from './unavailable.js';

const config = loadConfig();
const url = process.env.PREPARE_DATABASE_URL ?? config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL;
if (!url) throw new Error('PREPARE_DATABASE_URL is not set');
try {
  const lock = new pg.Client({ connectionString: url, application_name: 'samverka-migrate', connectionTimeoutMillis: 5_000 });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
    const orm = await initOrm(url, 2);
    try {
      await migrate(orm);
      if (config.DEMO && (await seedDemo(orm.em.fork(), config.DEMO_PASSWORD))) {
        process.stdout.write('demo data seeded\n');
      }
    } finally {
      await orm.close();
    }
  } finally {
    await lock.end();
  }
} catch (e) {
  if (!isDatabaseUnavailable(e)) throw e;
  process.stderr.write('The database cannot be reached.\n');
  process.exit(EXIT_DATABASE_UNREACHABLE);
}
