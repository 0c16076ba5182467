import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { repoRoot } from '../../src/config.js';
import { createTestDatabase } from '../helpers/app.js';

const backend = path.join(repoRoot, 'backend');
// Inside backend/node_modules: the compiled files resolve their packages as backend/dist does.
const cache = path.join(backend, 'node_modules/.cache');

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

describe('the compiled production build', () => {
  fs.mkdirSync(cache, { recursive: true });
  const outDir = fs.mkdtempSync(path.join(cache, 'build-'));
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('compiles with tsc and runs as plain JavaScript: migrations, API, metrics, graceful stop', { timeout: 150_000 }, async () => {
    const tsc = spawnSync(
      process.execPath,
      [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
      {
        cwd: backend,
        encoding: 'utf8',
      },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const files = fs.readdirSync(outDir, { recursive: true }).map(String);
    expect(files).toContain('server.js');
    expect(files).toContain(path.join('db', 'prepare.js'));
    expect(files).toContain(path.join('modules', 'audit', 'audit.verify.worker.js'));
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);

    const metricsPort = await freePort();
    const api = spawn(process.execPath, [path.join(outDir, 'server.js')], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATABASE_URL: await createTestDatabase(),
        DB_ROLE: 'samverka_app',
        KEYS_DIR: inject('keysDir'),
        POLICIES_DIR: path.join(repoRoot, 'policies'),
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_PORT: String(metricsPort),
        JOBS: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    api.stdout.on('data', (c: Buffer) => (log += c.toString()));
    api.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((r) => api.on('exit', (code) => r(code)));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /"address":"(http:\/\/[^"]+)"/.exec(log);
          if (m) {
            clearInterval(timer);
            resolve(m[1]!);
          }
          if (api.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`the compiled API stopped: ${log}`));
          }
        }, 100);
      });
      expect(api.spawnargs.join(' ')).not.toContain('tsx');
      expect(await (await fetch(`${address}/api/health`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${address}/api/ready`)).json()).toEqual({ status: 'ready' });
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/samverka_http_request_duration_seconds_count\{method="GET",route="\/api\/ready",status_code="200"\} 1/);
      expect((await fetch(`${address}/metrics`)).status).toBe(404);
    } finally {
      api.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(log).toContain('"msg":"stopped"');
  });
});
