// `npm start` after a crash: the API with its embedded PostgreSQL is killed with SIGKILL (the
// postmaster outlives it), and the next start must work — or refuse in one sentence when the
// database really is in use by a running instance.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../global-setup.js';
import { startServer, waitFor, type ServerProcess } from './faults-server.js';

let tmp: string;
let env: Record<string, string>;
const started: ServerProcess[] = [];

function postmasterPid(): number {
  return Number(fs.readFileSync(path.join(env.PG_DATA_DIR!, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/** Running, and not a zombie (which lingers for a moment and still answers kill -0). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

async function start(ready = true): Promise<ServerProcess> {
  const s = await startServer(env, ready);
  started.push(s);
  return s;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-restart-'));
  // The embedded cluster runs as the postgres user, which must reach its data directory.
  fs.chmodSync(tmp, 0o755);
  env = { PG_DATA_DIR: path.join(tmp, 'pg'), PG_PORT: String(await freePort()), DATABASE_URL: '', AUDIT_SEQUENCER: 'true' };
});

afterAll(async () => {
  for (const s of started) if (s.alive()) s.child.kill('SIGKILL');
  const pidFile = path.join(tmp, 'pg', 'postmaster.pid');
  if (fs.existsSync(pidFile)) {
    const pid = postmasterPid();
    if (running(pid)) process.kill(pid, 'SIGINT');
    await waitFor(async () => !running(pid), 20_000).catch(() => {});
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('npm start after a crash', () => {
  it('stops the embedded PostgreSQL that a killed API left running, and starts', async () => {
    const first = await start();
    const pid = postmasterPid();
    first.child.kill('SIGKILL');
    await first.exited;
    expect(running(pid)).toBe(true);

    const second = await start();
    expect(second.output()).toContain('left running by an earlier run');
    expect(running(pid)).toBe(false);
    expect(postmasterPid()).not.toBe(pid);

    // Another start on the same data directory while that one runs: refused, in one sentence.
    const third = await start(false);
    const { code } = await third.exited;
    expect(code).toBe(1);
    const fatal = third
      .output()
      .split('\n')
      .find((l) => l.includes('"level":60'));
    expect(fatal).toBeDefined();
    const msg = (JSON.parse(fatal!) as { msg: string }).msg;
    expect(msg).toMatch(
      /^start failed: The embedded PostgreSQL in .* is in use by another running Samverka \(process \d+\): stop that one first/,
    );
    expect(third.output()).not.toContain('"type":"undefined"');
    expect(second.alive()).toBe(true);
    expect((await fetch(`${second.url}/api/ready`)).status).toBe(200);

    // A clean stop takes the database down with it.
    const postmaster = postmasterPid();
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(running(postmaster)).toBe(false);
  }, 180_000);

  it('starts after the API and its PostgreSQL were both killed with SIGKILL', async () => {
    const first = await start();
    const pid = postmasterPid();
    first.child.kill('SIGKILL');
    process.kill(pid, 'SIGKILL');
    await first.exited;
    await waitFor(async () => !running(pid), 10_000);
    const second = await start();
    expect((await fetch(`${second.url}/api/ready`)).status).toBe(200);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 120_000);

  it('removes a lock file whose process id now belongs to another process, and starts', async () => {
    const pidFile = path.join(env.PG_DATA_DIR!, 'postmaster.pid');
    // As after a power cut: the lock file names a pid that is now some other, live process.
    fs.writeFileSync(pidFile, `${process.pid}\n${env.PG_DATA_DIR}\n0\n${env.PG_PORT}\n`);
    const s = await start();
    expect(s.output()).toContain('lock file of an embedded PostgreSQL that is no longer running');
    s.child.kill('SIGTERM');
    expect((await s.exited).code).toBe(0);
  }, 120_000);

  it('says in one sentence that the database port is taken by another program', async () => {
    const blocker = (await import('node:net')).createServer();
    await new Promise<void>((r) => blocker.listen(Number(env.PG_PORT), '127.0.0.1', r));
    try {
      const s = await start(false);
      expect((await s.exited).code).toBe(1);
      expect(s.output()).toContain(
        `start failed: The embedded PostgreSQL cannot listen on port ${env.PG_PORT}, which another program uses: stop that program or set PG_PORT to a free port.`,
      );
    } finally {
      blocker.close();
    }
  }, 120_000);
});
