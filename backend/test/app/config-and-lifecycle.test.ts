import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { initOrm } from '../../src/db/orm.js';
import { loadKeys } from '../../src/lib/keys.js';
import { createTestDatabase } from '../helpers/app.js';

describe('configuration', () => {
  it('lists every invalid variable by name, without echoing secrets', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', DEMO_PASSWORD: 'short', DATABASE_URL: 'mysql://u:hunter2@x/y' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'LOG_LEVEL', 'DEMO_PASSWORD', 'DATABASE_URL']) expect(message).toContain(name);
    expect(message).not.toContain('hunter2');
  });

  it('in production requires a database and provisioned keys, and never seeds demo data', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL: required in production[\s\S]*KEYS_DIR: required/);
    const c = loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgresql://a@b/c', KEYS_DIR: '/run/keys', SEED_DEMO: 'true' });
    expect(c.SEED_DEMO).toBe(false);
  });

  it('the server exits with a clear message on bad configuration', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, PORT: 'not-a-port' }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('Invalid configuration');
    expect(r.stderr).toContain('PORT');
  });
});

describe('graceful shutdown', () => {
  it('lets in-flight requests finish and refuses new ones while closing', async () => {
    const databaseUrl = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', KEYS_DIR: inject('keysDir'), DATABASE_URL: databaseUrl, AUDIT_SEQUENCER: 'false' });
    const orm = await initOrm(databaseUrl, 2, false);
    const app = await buildApp({ config, orm, keys: loadKeys(config.KEYS_DIR, false), logger: false });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    app.get('/api/test/slow', { config: { public: true } }, async () => {
      await held;
      return { done: true };
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const inFlight = fetch(`${address}/api/test/slow`);
      await new Promise((r) => setTimeout(r, 100));
      const closing = app.close();
      await new Promise((r) => setTimeout(r, 50));
      const refused = await fetch(`${address}/api/health`, { signal: AbortSignal.timeout(3000) }).then((r) => r.status, () => 'refused');
      expect([503, 'refused']).toContain(refused);
      release();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ done: true });
      await closing;
    } finally {
      await orm.close();
    }
  });
});
