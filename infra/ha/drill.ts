// npm run test:ha — the product on a real PostgreSQL HA cluster (Patroni + etcd + HAProxy, three
// nodes, synchronous replication), under a bounded load through two API processes: the leader's
// postmaster is killed (`kill -9`), then the API process that holds the audit sequencer's lock.
// Prints the figures, writes them to backend/bench/results/ha.json, and exits 1 when a check fails.
// Everything it starts it stops, also on failure or Ctrl-C.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keysDirIn, prepareDatabase, sequencerLogin, startApi, type Api, type Logins } from './api.js';
import {
  checkIntegrity,
  checkSessions,
  lockFigures,
  readinessFigures,
  sampleReadiness,
  sampleSequencerLock,
  type SessionCheck,
} from './checks.js';
import { ensurePackages, ensurePortsFree, killPostmaster, leaderNode, startCluster, streamingReplicas, type Cluster } from './cluster.js';
import { Client, createFixture, longestWriteGap, startLoad, writesBackAfter, type Op } from './load.js';
import { sleep, stopAll, stopPid, waitFor } from './procs.js';

const API_PORTS = [
  { api: 25101, metrics: 25111 },
  { api: 25102, metrics: 25112 },
];
const WARM_UP_MS = 5_000;
const AFTER_MS = 5_000;
/** The whole drill, start to stop, on two shared cores. */
const DEADLINE_MS = 10 * 60_000;
const RECOVERY_TARGET_MS = 10_000;

// Beside the benches' figures (a complete run writes them, passed or not).
const resultsFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../backend/bench/results/ha.json');
const secret = (n = 18): string => randomBytes(n).toString('base64url');
const t0 = Date.now();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-ha-'));
let cluster: Cluster | null = null;
const dataDirs = (): string[] => (cluster as Cluster | null)?.nodes.map((n) => n.dataDir) ?? [];

/** Stops everything once (signals, a crash, the watchdog and the normal end may all ask). */
let stopped: Promise<void> | null = null;
function stopEverything(): Promise<void> {
  stopped ??= (async () => {
    await stopAll(dataDirs());
    if (process.env.HA_KEEP_LOGS) console.log(`logs kept in ${dir}/log`);
    else fs.rmSync(dir, { recursive: true, force: true });
  })();
  return stopped;
}
const abort = (why: string, code: number): void => {
  if (stopped) return;
  console.error(`\n${why}: stopping the cluster and the API processes…`);
  void stopEverything().finally(() => process.exit(code));
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => abort(signal, 130));
// Whatever fails outside the drill's own flow (an 'error' event nobody handles), it still stops.
process.on('uncaughtException', (e) => abort(`HA drill failed: ${e.message}`, 1));
const watchdog = setTimeout(() => abort(`the drill ran longer than ${DEADLINE_MS / 60_000} minutes`, 1), DEADLINE_MS);

const step = (m: string): void => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${m}`);

async function drill(): Promise<boolean> {
  ensurePackages();
  await ensurePortsFree(API_PORTS.flatMap((p) => [p.api, p.metrics]));
  step('starting etcd, three PostgreSQL nodes under Patroni (synchronous, strict) and HAProxy');
  cluster = await startCluster(dir, secret);
  const c = cluster;
  const firstLeader = (await leaderNode(c))!;
  step(`cluster up: leader ${firstLeader.name}, 2 synchronous-capable replicas streaming`);
  const logins: Logins = await prepareDatabase(c, API_PORTS.length, secret);
  const keys = keysDirIn(dir);
  // One after the other: the first migrates, seeds the demo users and generates the keys.
  const apis: Api[] = [];
  for (const [i, port] of API_PORTS.entries()) apis.push(await startApi(c, logins, i + 1, port, keys));
  step(`two API processes ready (${apis.map((a) => a.url).join(', ')}), every connection through HAProxy`);

  const client = new Client(apis.map((a) => a.url));
  const fixture = await createFixture(client);
  const sessions: SessionCheck[] = [await checkSessions(client, 'before', 0, 1)];
  const locks = sampleSequencerLock(c);
  const readiness = sampleReadiness(apis.map((a) => a.url));
  const load = startLoad(client, fixture);
  await sleep(WARM_UP_MS);

  // ---- 1. the leader's postmaster ------------------------------------------------------------
  const leader = (await leaderNode(c))!;
  const dbKillAt = Date.now();
  killPostmaster(leader);
  step(`kill -9 of the postmaster of the leader ${leader.name}`);
  await waitFor(
    'writes to be acknowledged again after the failover',
    60_000,
    async () => writesBackAfter(load.ops, dbKillAt) !== null,
    100,
  );
  const newLeader = await leaderNode(c);
  step(`writes acknowledged again; leader now ${newLeader?.name ?? '?'}`);
  const rejoinMs = await waitFor(
    'the old leader to stream again as a replica',
    90_000,
    async () => (await streamingReplicas(c)) === 2,
    500,
  ).then(
    () => Date.now() - dbKillAt,
    () => null,
  );
  step(rejoinMs === null ? 'the old leader did not rejoin within 90 s' : `old leader ${leader.name} streaming again as a replica`);
  sessions.push(await checkSessions(client, 'after the database failover', 1, 0));
  // Readiness is sampled on its own clock, and writes may be back before the next sample: give
  // the probe the time the target allows to see every API ready again before the next fault, so
  // the figure measures the failover rather than how soon the drill moved on (one run of ten
  // killed the API 0.2 s after writes were back, before any ready sample had been taken).
  await waitFor(
    'every API to say ready again',
    Math.max(1_000, dbKillAt + RECOVERY_TARGET_MS - Date.now()),
    async () => readiness.samples.at(-1)?.ready.every((status) => status === 200) ?? false,
    100,
  ).catch(() => undefined);

  // ---- 2. the API process that leads the audit sequencer ----------------------------------------
  await waitFor('an audit sequencer to hold the lock', 20_000, async () => (locks.samples.at(-1)?.holders.length ?? 0) === 1, 100);
  const holder = locks.samples.at(-1)!.holders[0]!;
  const victim = apis.find((a) => sequencerLogin(a.index) === holder)!;
  const survivor = apis.find((a) => a !== victim)!;
  const apiKillAt = Date.now();
  process.kill(victim.proc.child.pid!, 'SIGKILL');
  step(`kill -9 of API ${victim.index}, whose sequencer held the lock`);
  const handoverMs = await waitFor(
    `the sequencer of API ${survivor.index} to take the lock`,
    30_000,
    async () => locks.samples.some((s) => s.at > apiKillAt && s.holders.length === 1 && s.holders[0] === sequencerLogin(survivor.index)),
    100,
  ).catch(() => null);
  await waitFor(
    'writes to be acknowledged after the API kill',
    30_000,
    async () => writesBackAfter(load.ops, apiKillAt) !== null,
    100,
  ).catch(() => null);
  step(`sequencer lock moved to API ${survivor.index} after ${handoverMs === null ? '—' : `${(handoverMs / 1000).toFixed(2)} s`}`);
  await sleep(AFTER_MS);

  // The orchestrator restarts the killed process; sessions are checked across the pair again.
  await stopPid(victim.proc.child.pid!, 1_000);
  const restarted = await startApi(c, logins, victim.index, API_PORTS[victim.index - 1]!, keys);
  apis[victim.index - 1] = restarted;
  step(`API ${victim.index} restarted`);
  sessions.push(await checkSessions(client, 'after the API kill and restart', survivor.index - 1, victim.index - 1));
  await sleep(2_000);

  await load.stop();
  // From the whole record: a pause that began after the first acknowledgement counts too.
  const dbRecoveryMs = writesBackAfter(load.ops, dbKillAt, apiKillAt)!;
  const apiRecoveryMs = writesBackAfter(load.ops, apiKillAt);
  await readiness.stop();
  const integrity = await checkIntegrity(c, load.ops);
  await sleep(500);
  await locks.stop();
  const auditor = await client.login(survivor.index - 1, 'auditor');
  const verify = await client.call(survivor.index - 1, 'GET', '/api/audit/verify?full=true', auditor);
  const verifyBody = verify.body as { ok?: boolean; size?: number } | null;
  const lock = lockFigures(locks.samples);
  const finalHolders = locks.samples.at(-1)?.holders ?? [];
  const survivorAlive = survivor.proc.child.exitCode === null && survivor.proc.child.signalCode === null;
  const readyAtEnd = readiness.samples.at(-1)?.ready ?? [];
  const readyAfterFailover = readinessFigures(readiness.samples, dbKillAt, apiKillAt);

  // A 500 is a fault of the product, not of the database being away: its log lines, by request id.
  const internalErrors = load.ops
    .filter((o) => o.requestId)
    .map((o) => ({
      kind: o.kind,
      api: o.api + 1,
      afterDbKillMs: o.start - dbKillAt,
      log: apis.flatMap((a) =>
        fs
          .readFileSync(a.proc.logFile, 'utf8')
          .split('\n')
          .filter((l) => l.includes(o.requestId!)),
      ),
    }));
  const count = (pred: (o: Op) => boolean): number => load.ops.filter(pred).length;
  const statuses = (kind: Op['kind']): Record<string, number> => {
    const by: Record<string, number> = {};
    for (const o of load.ops) if (o.kind === kind) by[o.status || 'unreachable'] = (by[o.status || 'unreachable'] ?? 0) + 1;
    return by;
  };
  // Writes not acknowledged, by time after each fault: what the clients saw.
  const unacked = (from: number, to: number): { afterMs: number; tookMs: number; status: number; api: number }[] =>
    load.ops
      .filter((o) => o.kind !== 'read' && o.end >= from && o.start < to && !(o.status >= 200 && o.status < 300))
      .map((o) => ({ afterMs: o.start - from, tookMs: o.end - o.start, status: o.status, api: o.api + 1 }));
  const figures = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    setup:
      'Patroni 3 nodes (PostgreSQL 15, synchronous_mode strict, ttl 10 s, loop_wait 1 s), etcd 3.4, HAProxy (OPTIONS /primary), two API processes; load: 2 entry writers, 1 consent writer, 2 readers',
    requests: {
      total: load.ops.length,
      acknowledgedWrites: count((o) => o.kind !== 'read' && o.status >= 200 && o.status < 300),
      failedWrites: count((o) => o.kind !== 'read' && !(o.status >= 200 && o.status < 300)),
      reads: count((o) => o.kind === 'read'),
      failedReads: count((o) => o.kind === 'read' && !(o.status >= 200 && o.status < 300)),
      statuses: { entry: statuses('entry'), consent: statuses('consent'), read: statuses('read') },
    },
    databaseFailover: {
      killedLeader: leader.name,
      newLeader: newLeader?.name ?? null,
      writesBackAfterMs: dbRecoveryMs,
      oldLeaderStreamingAgainAfterMs: rejoinMs,
      writesNotAcknowledged: unacked(dbKillAt, apiKillAt),
      readiness: readyAfterFailover,
    },
    apiKill: {
      killedApi: victim.index,
      sequencerLockMovedAfterMs: handoverMs,
      writesBackAfterMs: apiRecoveryMs,
      survivorStayedUp: survivorAlive,
      writesNotAcknowledged: unacked(apiKillAt, Infinity),
    },
    longestGapBetweenAcknowledgedWritesMs: longestWriteGap(load.ops),
    internalErrors,
    integrity,
    auditVerify: { status: verify.status, ok: verifyBody?.ok ?? false, size: verifyBody?.size ?? null },
    sequencer: { samples: locks.samples.length, ...lock, holderAtEnd: finalHolders },
    sessions,
    readyAtEnd,
  };

  const checks: [string, boolean][] = [
    [`writes back after the leader's kill ≤ ${RECOVERY_TARGET_MS / 1000} s`, dbRecoveryMs <= RECOVERY_TARGET_MS],
    [`writes back after the API kill ≤ ${RECOVERY_TARGET_MS / 1000} s`, apiRecoveryMs !== null && apiRecoveryMs <= RECOVERY_TARGET_MS],
    ['old leader streams again as a replica', rejoinMs !== null],
    ['acknowledged writes lost = 0', integrity.lostEntries === 0 && integrity.lostConsents === 0],
    [
      'entries/consents without audit event, and audit events without their row = 0',
      integrity.entriesWithoutAudit + integrity.auditWithoutEntry + integrity.consentsWithoutAudit + integrity.auditWithoutConsent === 0,
    ],
    ['audit sequence gaps = 0 and duplicates = 0', integrity.auditSeqGaps === 0 && integrity.auditDuplicateEvents === 0],
    ['every queued audit event sequenced', integrity.queueRowsNotSequenced === 0],
    ['/api/audit/verify (full) ok', verify.status === 200 && verifyBody?.ok === true],
    ['never more than one sequencer holding the lock', lock.maxHolders <= 1],
    ['sequencer lock moved to the surviving API', handoverMs !== null],
    ['exactly one sequencer at the end', finalHolders.length === 1],
    [
      'sessions usable across processes, sign-out refused on the other',
      sessions.every((s) => s.usableOnOther && s.refusedOnOtherAfterMs !== null),
    ],
    ['the surviving API process stayed up', survivorAlive],
    [
      `every API ready again ≤ ${RECOVERY_TARGET_MS / 1000} s after the leader's kill`,
      readyAfterFailover.length === 2 &&
        readyAfterFailover.every((r) => r.readyAgainAfterMs !== null && r.readyAgainAfterMs <= RECOVERY_TARGET_MS),
    ],
    ['every API ready at the end', readyAtEnd.length === 2 && readyAtEnd.every((s) => s === 200)],
  ];
  const passed = checks.every(([, ok]) => ok);
  fs.writeFileSync(resultsFile, `${JSON.stringify({ command: 'npm run test:ha', passed, ...figures, checks }, null, 2)}\n`);

  console.log('\nHA drill figures');
  console.log(
    `  writes acknowledged again after the leader's postmaster was killed: ${(dbRecoveryMs / 1000).toFixed(2)} s (target ≤ 10 s)`,
  );
  console.log(
    `  writes acknowledged after the sequencer-leading API was killed:     ${apiRecoveryMs === null ? '—' : `${(apiRecoveryMs / 1000).toFixed(2)} s`}`,
  );
  console.log(
    `  old leader streaming again as a replica after:                       ${rejoinMs === null ? '—' : `${(rejoinMs / 1000).toFixed(1)} s`}`,
  );
  console.log(
    `  longest gap between acknowledged writes:                             ${(figures.longestGapBetweenAcknowledgedWritesMs / 1000).toFixed(2)} s`,
  );
  const readyText = readyAfterFailover.map(
    (r, i) =>
      `API ${i + 1} not ready for ${(r.notReadyMs / 1000).toFixed(1)} s, ready again after ${r.readyAgainAfterMs === null ? '—' : `${(r.readyAgainAfterMs / 1000).toFixed(1)} s`}`,
  );
  console.log(`  /api/ready after the leader's kill: ${readyText.join('; ')}`);
  console.log(
    `  acknowledged writes: ${integrity.ackedEntries} entries + ${integrity.ackedConsents} consents; lost: ${integrity.lostEntries + integrity.lostConsents}`,
  );
  console.log(
    `  rows without audit event: ${integrity.entriesWithoutAudit + integrity.consentsWithoutAudit}; audit events without row: ${integrity.auditWithoutEntry + integrity.auditWithoutConsent}`,
  );
  console.log(
    `  audit log: ${integrity.auditEvents} events, gaps ${integrity.auditSeqGaps}, duplicates ${integrity.auditDuplicateEvents}, verify ${verifyBody?.ok ? 'ok' : 'FAILED'}`,
  );
  console.log(
    `  sequencer lock: ${locks.samples.length} samples, at most ${lock.maxHolders} holder(s), longest without holder ${(lock.longestWithoutHolderMs / 1000).toFixed(2)} s, moved to API ${survivor.index} after ${handoverMs === null ? '—' : `${(handoverMs / 1000).toFixed(2)} s`}`,
  );
  for (const s of sessions)
    console.log(
      `  sessions (${s.phase}): signed in on API ${s.signedInOn}, used on API ${s.usedOn}: ${s.usableOnOther ? 'ok' : 'REFUSED'}; signed out there, refused on API ${s.signedInOn} after ${s.refusedOnOtherAfterMs ?? '—'} ms`,
    );
  console.log(
    `  requests: ${figures.requests.total} (${figures.requests.failedWrites} writes and ${figures.requests.failedReads} reads not answered 2xx during the faults)`,
  );
  for (const e of internalErrors)
    console.log(`  500 on API ${e.api} (${e.kind}, ${e.afterDbKillMs} ms after the leader's kill): ${e.log.join(' | ')}`);
  console.log(`  answers by status: ${JSON.stringify(figures.requests.statuses)}`);
  console.log('');
  for (const [what, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  return passed;
}

let ok = false;
try {
  ok = await drill();
} catch (e) {
  console.error(`HA drill failed: ${(e as Error).message}`);
  if (!process.env.HA_KEEP_LOGS) console.error('set HA_KEEP_LOGS=1 to keep the logs of the cluster and the API processes');
} finally {
  clearTimeout(watchdog);
  step('stopping everything the drill started');
  await stopEverything();
  step(`done: ${ok ? 'passed' : 'FAILED'}`);
}
process.exit(ok ? 0 : 1);
