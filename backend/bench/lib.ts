import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { hash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const backendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  rssMb(): number;
  stop(): Promise<void>;
}

/**
 * Starts the real API server (src/server.ts, or dist/server.js) in its own process, so that the load generator does
 * not share its event loop. Without DATABASE_URL it brings its own embedded PostgreSQL.
 */
export async function startApi(env: Record<string, string> = {}, opts: { compiled?: boolean } = {}): Promise<ApiProcess> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-bench-'));
  fs.chmodSync(tmp, 0o755);
  const port = await freePort();
  // The same heap bound as `npm start` (API_MAX_HEAP_MB, default 256).
  const nodeFlags = (process.env.BENCH_API_NODE_FLAGS ?? `--max-old-space-size=${process.env.API_MAX_HEAP_MB ?? 256}`)
    .split(' ')
    .filter(Boolean);
  // `compiled`: the production build (backend/dist, `npm run build -w backend`), plain JavaScript.
  const entry = opts.compiled ? ['dist/server.js'] : ['--import', 'tsx', 'src/server.ts'];
  const child = spawn(process.execPath, [...nodeFlags, ...entry], {
    cwd: backendDir,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      // Demo users and generated keys in the temporary directory: the benches sign in as them.
      DEMO: 'true',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      KEYS_DIR: path.join(tmp, 'keys'),
      PG_DATA_DIR: path.join(tmp, 'pg'),
      PG_PORT: String(await freePort()),
      // The load generator is one user sending thousands of requests a second: no per-user budgets.
      RATE_LIMIT_LOGIN_PER_MINUTE: '100000000',
      RATE_LIMIT_SEARCH_PER_MINUTE: '100000000',
      RATE_LIMIT_VERIFY_PER_MINUTE: '100000000',
      RATE_LIMIT_EXPORT_PER_MINUTE: '100000000',
      ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('API exited during start');
    try {
      if ((await fetch(`${url}/api/ready`)).ok) break;
    } catch {
      /* starting */
    }
    if (Date.now() > until) throw new Error('API did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child,
    rssMb() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
}

export async function load(opts: autocannon.Options): Promise<LoadResult> {
  const r = await autocannon({ connections: 32, duration: 10, ...opts });
  const l = r.latency as autocannon.Histogram & { p95?: number };
  return {
    requests: r.requests.total,
    rps: r.requests.average,
    p50: l.p50,
    p95: l.p95 ?? l.p97_5,
    p99: l.p99,
    non2xx: r.non2xx + r.errors,
  };
}

export async function login(url: string, username: string, password = process.env.DEMO_PASSWORD ?? 'samverka-demo-2026'): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

export const fmt = (r: LoadResult): string =>
  `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(1)} ms  p95 ${r.p95.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  (${r.requests} requests, ${r.non2xx} non-2xx)`;

/**
 * How fast this machine is right now, on one thread: a fixed mix of node:crypto SHA-256 calls
 * (64 bytes) and plain integer work, in thousands of rounds per second (higher is faster).
 * Printed before and after a bench, so that figures from different moments can be compared:
 * on the shared bench machine the same code's CPU time per unit of work varies by up to 2×.
 */
export function machineSpeed(ms = 300): number {
  const input = Buffer.alloc(64, 7);
  let rounds = 0;
  let x = 1;
  const until = performance.now() + ms;
  const started = performance.now();
  while (performance.now() < until) {
    for (let i = 0; i < 200; i++) {
      input[i & 63] = hash('sha256', input, 'binary').charCodeAt(0);
      for (let j = 0; j < 50; j++) x = (Math.imul(x, 1_103_515_245) + 12_345) | 0;
    }
    rounds += 200;
  }
  if (x === 42) rounds += 1; // keeps the integer work from being optimised away
  return rounds / (performance.now() - started);
}

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** CPU time (user + system) of a process so far, in ms: what a request costs the API, whatever the machine's load. */
export function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}
