import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { initOrm, type Orm } from '../../src/db/orm.js';
import { seedDemo } from '../../src/db/seed.js';
import { loadKeys } from '../../src/lib/keys.js';

export const DEMO_PASSWORD = 'samverka-demo-2026';

export interface TestContext {
  app: FastifyInstance;
  orm: Orm;
  config: Config;
  databaseUrl: string;
  /** A superuser connection to this test's database, for setting up and inspecting state. */
  sql: pg.Pool;
  close(): Promise<void>;
}

/** Clones a fresh database from the migrated template. */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = inject('pgAdminUrl');
  const name = `samverka_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${adminUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDb')}`);
  } finally {
    await admin.end();
  }
  return `${adminUrl}/${name}`;
}

/** A real app on a fresh database with the demo agencies and users. */
export async function createTestApp(env: Record<string, string> = {}, options: { seed?: boolean } = {}): Promise<TestContext> {
  const databaseUrl = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    KEYS_DIR: inject('keysDir'),
    DATABASE_URL: databaseUrl,
    AUDIT_SEQUENCER: 'false',
    ...env,
  });
  const orm = await initOrm(databaseUrl, 5, true, config.DB_ROLE || undefined);
  if (options.seed !== false) await seedDemo(orm.em.fork(), DEMO_PASSWORD);
  const app = await buildApp({ config, orm, keys: loadKeys(config.KEYS_DIR, false), logger: false });
  await app.ready();
  const sql = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  sql.on('error', () => {});
  return {
    app,
    orm,
    config,
    databaseUrl,
    sql,
    async close() {
      await app.close();
      await orm.close();
      await sql.end();
    },
  };
}

export async function login(app: FastifyInstance, username: string, password = DEMO_PASSWORD): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { accessToken: string }).accessToken;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export function problem(res: LightMyRequestResponse): { status: number; title: string; detail?: string; requestId: string } {
  return res.json();
}
