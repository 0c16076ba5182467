import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import YAML from 'yaml';
import { ConfigError, loadConfig, repoRoot } from '../../src/config.js';
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

  it('in production requires a database, provisioned keys and a role other than the owner, and refuses demo data', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL: required in production[\s\S]*KEYS_DIR: required/);
    const prod = { NODE_ENV: 'production', DATABASE_URL: 'postgresql://a@b/c', KEYS_DIR: '/run/keys' };
    expect(() => loadConfig(prod)).toThrow(/DB_ROLE or MIGRATION_DATABASE_URL: required in production \(the API must not run as the owner/);
    expect(loadConfig({ ...prod, DB_ROLE: 'samverka_app' }).DB_ROLE).toBe('samverka_app');
    const separate = { ...prod, MIGRATION_DATABASE_URL: 'postgresql://owner@b/c' };
    expect(() => loadConfig(separate)).toThrow(/AUDIT_SEQUENCER_DATABASE_URL: required with MIGRATION_DATABASE_URL/);
    expect(loadConfig({ ...separate, AUDIT_SEQUENCER_DATABASE_URL: 'postgresql://seq@b/c' }).MIGRATION_DATABASE_URL).toBe(
      'postgresql://owner@b/c',
    );
    expect(() => loadConfig({ ...prod, DB_ROLE: 'samverka_app', DEMO: '1' })).toThrow(/DEMO: not allowed in production/);
  });

  it('the deployment in infra/compose.yaml is a valid production configuration', () => {
    const compose = YAML.parse(fs.readFileSync(path.join(repoRoot, 'infra/compose.yaml'), 'utf8')) as {
      services: { api: { environment: Record<string, string> } };
    };
    // DATABASE_URL comes from api.env (a secret); KEYS_DIR is set in the file itself.
    const c = loadConfig({ ...compose.services.api.environment, DATABASE_URL: 'postgresql://samverka_owner@db/samverka' });
    expect(c).toMatchObject({
      NODE_ENV: 'production',
      DB_ROLE: 'samverka_app',
      AUDIT_SEQUENCER_DB_ROLE: 'samverka_audit_sequencer',
      DEMO: false,
    });
  });

  it('asks for demo data and generated keys only through DEMO, never because NODE_ENV is unset', () => {
    expect(loadConfig({}).DEMO).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).DEMO).toBe(false);
    expect(loadConfig({ DEMO: '1' }).DEMO).toBe(true);
    expect(loadConfig({ DEMO: 'true' }).DEMO).toBe(true);
  });

  it('the server exits with a clear message on bad configuration', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { ...process.env, PORT: 'not-a-port' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('Invalid configuration');
    expect(r.stderr).toContain('PORT');
  });
});

describe('demo data and generated keys only when asked', () => {
  /** The server's environment with NODE_ENV unset, as on a machine where nobody set it. */
  function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_ENV;
    delete env.DEMO;
    return { ...env, LOG_LEVEL: 'info', PORT: '0', AUDIT_SEQUENCER: 'false', ...extra };
  }
  async function demoUsers(databaseUrl: string): Promise<number> {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      return (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM app_user WHERE username = 'social'")).rows[0]!.n;
    } finally {
      await c.end();
    }
  }

  it('without DEMO the server generates no keys, seeds nothing and says what to do', async () => {
    const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-keys-'));
    const databaseUrl = await createTestDatabase();
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
        env: serverEnv({ DATABASE_URL: databaseUrl, KEYS_DIR: keysDir }),
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).toBe(78);
      expect(r.stderr).toContain('Missing key file');
      expect(r.stderr).toContain('DEMO=1');
      expect(fs.readdirSync(keysDir)).toEqual([]);
      expect(await demoUsers(databaseUrl)).toBe(0);
    } finally {
      fs.rmSync(keysDir, { recursive: true, force: true });
    }
  });

  it('with DEMO=1 the server generates its keys and seeds the demo users', async () => {
    const keysDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-keys-')), 'keys');
    const databaseUrl = await createTestDatabase();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: serverEnv({ DATABASE_URL: databaseUrl, KEYS_DIR: keysDir, DEMO: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const listening = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 90_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('API listening')) {
            clearTimeout(timer);
            resolve(true);
          }
        });
        child.once('exit', () => resolve(false));
      });
      expect(listening, out).toBe(true);
      expect(fs.readdirSync(keysDir).sort()).toEqual([
        'documents-aes256.key',
        'jwt-ed25519.pem',
        'signing-ed25519.seed',
        'totp-aes256.key',
      ]);
      expect(await demoUsers(databaseUrl)).toBe(1);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(path.dirname(keysDir), { recursive: true, force: true });
    }
  }, 120_000);
});

describe('graceful shutdown', () => {
  it('lets in-flight requests finish and refuses new ones while closing', async () => {
    const databaseUrl = await createTestDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      KEYS_DIR: inject('keysDir'),
      DATABASE_URL: databaseUrl,
      AUDIT_SEQUENCER: 'false',
    });
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
      const refused = await fetch(`${address}/api/health`, { signal: AbortSignal.timeout(3000) }).then(
        (r) => r.status,
        () => 'refused',
      );
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
