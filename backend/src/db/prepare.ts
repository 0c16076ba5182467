// Applies the committed migrations and the roles' grants, seeds the demo data when asked
// (DEMO=1), then exits.
// Run by the server in a child process at start, so that the migrator and the password hashing
// of the seed do not stay resident in the API process.
import { loadConfig } from '../config.js';
import { initOrm, migrate } from './orm.js';
import { seedDemo } from './seed.js';
import { EXIT_DATABASE_UNREACHABLE, isDatabaseUnavailable } from './unavailable.js';

const config = loadConfig();
const url = process.env.PREPARE_DATABASE_URL ?? config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL;
if (!url) throw new Error('PREPARE_DATABASE_URL is not set');
try {
  const orm = await initOrm(url, 2);
  try {
    await migrate(orm);
    if (config.DEMO && (await seedDemo(orm.em.fork(), config.DEMO_PASSWORD))) {
      process.stdout.write('demo data seeded\n');
    }
  } finally {
    await orm.close();
  }
} catch (e) {
  if (!isDatabaseUnavailable(e)) throw e;
  process.stderr.write('The database cannot be reached.\n');
  process.exit(EXIT_DATABASE_UNREACHABLE);
}
