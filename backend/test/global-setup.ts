import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { initOrm, migrate } from '../src/db/orm.js';
import { loadKeys } from '../src/lib/keys.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    templateDb: string;
    keysDir: string;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

let embedded: EmbeddedDatabase | undefined;
let tmp: string | undefined;

/**
 * One PostgreSQL for the whole run (the one in TEST_PG_ADMIN_URL, or an embedded one), and one
 * migrated template database; every test file clones its own fresh database from the template.
 */
export async function setup(project: TestProject): Promise<void> {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-test-'));
  fs.chmodSync(tmp, 0o755);
  let adminUrl = process.env.TEST_PG_ADMIN_URL;
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres(path.join(tmp, 'pg'), await freePort());
    adminUrl = embedded.adminUrl;
  }
  const templateDb = `samverka_tpl_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: `${adminUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${templateDb}`);
  await admin.end();
  const orm = await initOrm(`${adminUrl}/${templateDb}`, 2);
  await migrate(orm);
  await orm.close();
  const keysDir = path.join(tmp, 'keys');
  loadKeys(keysDir, true);
  project.provide('pgAdminUrl', adminUrl);
  project.provide('templateDb', templateDb);
  project.provide('keysDir', keysDir);
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}
