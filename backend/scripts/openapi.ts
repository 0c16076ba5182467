/**
 * Prints the API's OpenAPI document without a database: the web app's types
 * (`frontend/src/lib/api/schema.d.ts`) are generated from it by `npm run gen:api -w frontend`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ormOptions } from '../src/db/orm.js';
import { loadKeys } from '../src/lib/keys.js';

const keysDir = mkdtempSync(path.join(tmpdir(), 'samverka-openapi-'));
try {
  const config = loadConfig({ ...process.env, DEMO: 'true', KEYS_DIR: keysDir });
  const orm = await MikroORM.init({ ...ormOptions('postgresql://openapi@127.0.0.1:1/none'), connect: false });
  const app = await buildApp({ config, orm, keys: loadKeys(keysDir, true), logger: false });
  await app.ready();
  process.stdout.write(`${JSON.stringify(app.swagger(), null, 2)}\n`);
  await app.close();
  await orm.close(true);
} finally {
  rmSync(keysDir, { recursive: true, force: true });
}
