// The real API process (src/server.ts through tsx) as a child, for tests of process-level faults:
// whether it stays up, and how it answers while its database is away.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { freePort } from '../global-setup.js';
import { initOrm } from '../../src/db/orm.js';
import { seedDemo } from '../../src/db/seed.js';
import { DEMO_PASSWORD } from '../helpers/app.js';

const backendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote (its JSON log lines, and stderr). */
  output(): string;
  alive(): boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/** Seeds the demo agencies and users into a migrated database, as the test app does. */
export async function seed(databaseUrl: string): Promise<void> {
  const orm = await initOrm(databaseUrl, 2);
  try {
    await seedDemo(orm.em.fork(), DEMO_PASSWORD);
  } finally {
    await orm.close();
  }
}

/** Spawns the API; unless `ready` is false, waits until /api/ready answers 200. */
export async function startServer(env: Record<string, string>, ready = true): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: backendDir,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      KEYS_DIR: inject('keysDir'),
      DEMO: '0',
      AUDIT_SEQUENCER_INTERVAL_MS: '50',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // A process that ends with an error by itself shows its last words in the test's output.
  child.once('exit', (code) => {
    if (code) process.stderr.write(`API process exited with code ${code}; its last output:\n${out.slice(-4000)}\n`);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const server: ServerProcess = {
    child,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
    exited,
    async stop() {
      if (server.alive()) child.kill('SIGTERM');
      await exited;
    },
  };
  if (!ready) return server;
  try {
    await waitFor(
      async () => (await get(server, '/api/ready')).status === 200,
      90_000,
      () => !server.alive(),
    );
  } catch (e) {
    await server.stop();
    throw new Error(`the API did not become ready: ${(e as Error).message}\n${out.slice(-3000)}`, { cause: e });
  }
  return server;
}

/** Polls `check` until it is true; fails after `ms`, or at once when `abort` says so. */
export async function waitFor(check: () => Promise<boolean>, ms: number, abort: () => boolean = () => false): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (abort()) throw new Error('aborted (the process exited)');
    if (await check().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(server: ServerProcess, method: string, url: string, token?: string, body?: unknown): Promise<Answer> {
  const res = await fetch(server.url + url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

export const get = (server: ServerProcess, url: string, token?: string): Promise<Answer> => call(server, 'GET', url, token);
export const post = (server: ServerProcess, url: string, body: unknown, token?: string): Promise<Answer> =>
  call(server, 'POST', url, token, body);

export async function signIn(server: ServerProcess, username: string): Promise<{ token: string; sessionId: string }> {
  const r = await post(server, '/api/auth/login', { username, password: DEMO_PASSWORD });
  if (r.status !== 200) throw new Error(`sign-in of ${username} failed: ${r.status}`);
  const token = String(r.body.accessToken);
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string };
  return { token, sessionId: claims.sid };
}
