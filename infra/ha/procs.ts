// Processes the drill starts, and how it stops them: every child is tracked so that a failure or
// Ctrl-C still stops all of them (see `stopAll`).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
}

const started: Proc[] = [];

/** Starts a program with its output appended to `logFile`; tracked until stopped. */
export function startProc(
  name: string,
  cmd: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): Proc {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', out, out], env, ...(cwd ? { cwd } : {}) });
  fs.closeSync(out);
  const proc = { name, child, logFile };
  started.push(proc);
  return proc;
}

/** Linux process state letter, or null when the process is gone (a zombie counts as gone). */
export function processState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
    return state === 'Z' || state === 'X' ? null : state;
  } catch {
    return null;
  }
}

export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (processState(pid) === null) return true;
    await sleep(100);
  }
  return processState(pid) === null;
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopPid(pid: number, graceMs: number): Promise<void> {
  if (processState(pid) === null) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitGone(pid, graceMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
  await waitGone(pid, 3_000);
}

/** The postmaster of a data directory, when one runs (Patroni leaves it behind when killed). */
export function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && processState(pid) !== null ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Stops every tracked process, last started first (APIs before HAProxy before Patroni before
 * etcd), then the postmasters of `dataDirs` that outlived their Patroni.
 */
export async function stopAll(dataDirs: string[]): Promise<void> {
  while (started.length) {
    const p = started.pop()!;
    if (p.child.pid) await stopPid(p.child.pid, 15_000);
  }
  for (const dir of dataDirs) {
    const pid = postmasterPid(dir);
    // SIGINT: PostgreSQL's fast shutdown.
    if (pid) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        /* gone meanwhile */
      }
      if (!(await waitGone(pid, 10_000))) process.kill(pid, 'SIGKILL');
    }
  }
}

/** Is something already listening on this port? (HAProxy's SO_REUSEPORT would silently share it.) */
export function portBusy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Thrown by a `waitFor` probe that knows waiting longer cannot help. */
export class GiveUp extends Error {}

/** Waits until `probe` answers true, or throws with `what` after `ms`. */
export async function waitFor(what: string, ms: number, probe: () => Promise<boolean>, everyMs = 250): Promise<number> {
  const start = Date.now();
  for (;;) {
    const ok = await probe().catch((e: unknown) => {
      if (e instanceof GiveUp) throw e;
      return false;
    });
    if (ok) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The last lines of a log file, for a failure message. */
export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
