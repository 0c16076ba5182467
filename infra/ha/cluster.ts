// A PostgreSQL cluster of three nodes under Patroni, etcd as its consensus store, and HAProxy
// routing one read-write port to whichever node Patroni's REST API calls the primary.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { GiveUp, portBusy, postmasterPid, startProc, tail, waitFor, type Proc } from './procs.js';

const PACKAGES = ['patroni', 'etcd-server', 'haproxy', 'postgresql-15'];
const PG_BIN = '/usr/lib/postgresql/15/bin';
const BINARIES: Record<string, string> = {
  patroni: '/usr/bin/patroni',
  'etcd-server': '/usr/bin/etcd',
  haproxy: '/usr/sbin/haproxy',
  'postgresql-15': `${PG_BIN}/postgres`,
};

/** Ports of the drill (25xxx: away from the other benches and the default development ports). */
export const PORTS = {
  etcdClient: 25379,
  etcdPeer: 25380,
  haproxy: 25000,
  haproxyStats: 25001,
  nodes: [
    { pg: 25432, rest: 25008 },
    { pg: 25433, rest: 25009 },
    { pg: 25434, rest: 25010 },
  ],
} as const;

export interface Node {
  name: string;
  pgPort: number;
  restPort: number;
  dataDir: string;
  patroni: Proc | null;
}

export interface Cluster {
  dir: string;
  superPassword: string;
  nodes: Node[];
  /** Superuser URL of one node directly, or through HAProxy (`haproxyUrl`). */
  nodeUrl(node: Node, db?: string): string;
  haproxyUrl(user: string, password: string, db: string): string;
}

/** Installs the Debian packages that are missing (as root), or says what to install. */
export function ensurePackages(): void {
  const missing = PACKAGES.filter((p) => !fs.existsSync(BINARIES[p]!));
  if (!missing.length) return;
  const how = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`The HA drill needs the Debian packages ${missing.join(', ')}. Install them with: sudo ${how}`);
  }
  console.log(`installing ${missing.join(', ')} (apt-get; about 20 s)…`);
  const r = spawnSync('sh', ['-c', how], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new Error(`installing ${missing.join(', ')} failed: run "${how}" and try again`);
}

/** Refuses to start beside anything already listening on the drill's ports. */
export async function ensurePortsFree(extra: number[]): Promise<void> {
  const all = [
    PORTS.etcdClient,
    PORTS.etcdPeer,
    PORTS.haproxy,
    PORTS.haproxyStats,
    ...PORTS.nodes.flatMap((n) => [n.pg, n.rest]),
    ...extra,
  ];
  const busy: number[] = [];
  for (const p of all) if (await portBusy(p)) busy.push(p);
  if (busy.length) {
    throw new Error(
      `ports ${busy.join(', ')} are in use (perhaps by an earlier drill that did not stop): stop those processes (ss -ltnp shows them) and run again`,
    );
  }
}

function patroniConfig(c: { dir: string; node: Node; superPassword: string; replPassword: string }): string {
  const { node } = c;
  // JSON is YAML: no YAML writer needed.
  return JSON.stringify(
    {
      scope: 'samverka-ha',
      name: node.name,
      // To stderr, which goes to log/<node>.out.
      log: { level: process.env.HA_PATRONI_LOG ?? 'WARNING' },
      restapi: { listen: `127.0.0.1:${node.restPort}`, connect_address: `127.0.0.1:${node.restPort}` },
      // Patroni 3.0 with etcd 3.4: the v3 API (the `etcd:` section speaks v2, which answers 404).
      etcd3: { hosts: [`127.0.0.1:${PORTS.etcdClient}`] },
      bootstrap: {
        dcs: {
          // loop_wait + 2 × retry_timeout ≤ ttl: a lost leader is noticed within seconds.
          ttl: 10,
          loop_wait: 1,
          retry_timeout: 4,
          maximum_lag_on_failover: 1048576,
          // A killed postmaster is failed over at once, not restarted in place first.
          primary_start_timeout: 0,
          // A commit is acknowledged only once a second node has it (see README: zero loss).
          synchronous_mode: true,
          synchronous_mode_strict: true,
          postgresql: {
            use_pg_rewind: true,
            parameters: {
              wal_level: 'replica',
              hot_standby: 'on',
              wal_log_hints: 'on',
              max_wal_senders: 10,
              max_replication_slots: 10,
              // A replica that asked the new leader before Patroni made its slot retries after this
              // (default 5 s); under strict synchronous mode, commits wait for that replica.
              wal_retrieve_retry_interval: '500ms',
            },
          },
        },
        initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
      },
      postgresql: {
        listen: `127.0.0.1:${node.pgPort}`,
        connect_address: `127.0.0.1:${node.pgPort}`,
        data_dir: node.dataDir,
        bin_dir: PG_BIN,
        pgpass: path.join(c.dir, 'run', `${node.name}.pgpass`),
        authentication: {
          superuser: { username: 'postgres', password: c.superPassword },
          replication: { username: 'replicator', password: c.replPassword },
        },
        parameters: { unix_socket_directories: path.join(c.dir, 'sock'), max_connections: 100, shared_buffers: '64MB' },
        pg_hba: [
          'local all all trust',
          'host replication replicator 127.0.0.1/32 scram-sha-256',
          'host all all 127.0.0.1/32 scram-sha-256',
        ],
      },
    },
    null,
    2,
  );
}

function haproxyConfig(nodes: Node[]): string {
  return [
    'global',
    '  maxconn 400',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 30m',
    '  timeout server 30m',
    '  timeout check 1s',
    'listen stats',
    '  mode http',
    `  bind 127.0.0.1:${PORTS.haproxyStats}`,
    '  stats enable',
    '  stats uri /',
    'listen primary',
    `  bind 127.0.0.1:${PORTS.haproxy}`,
    // Patroni answers 200 on /primary only on the leader; sessions to a node marked down are cut.
    '  option httpchk OPTIONS /primary',
    '  http-check expect status 200',
    '  default-server inter 1s fastinter 500ms fall 2 rise 1 on-marked-down shutdown-sessions',
    ...nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.pgPort} maxconn 150 check port ${n.restPort}`),
    '',
  ].join('\n');
}

const asPostgres = ['--reuid=postgres', '--regid=postgres', '--init-groups'];

/** Starts etcd, three Patroni nodes (PostgreSQL runs as `postgres`) and HAProxy; waits for a leader with two streaming replicas. */
export async function startCluster(dir: string, secret: (n: number) => string): Promise<Cluster> {
  for (const sub of ['log', 'sock', 'data', 'run']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const pgUid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const pgGid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(pgUid)) throw new Error('no "postgres" user: install postgresql-15 (apt-get install -y postgresql-15)');
  fs.chmodSync(dir, 0o755);
  for (const sub of ['log', 'sock', 'data', 'run']) fs.chownSync(path.join(dir, sub), pgUid, pgGid);

  const superPassword = secret(18);
  const replPassword = secret(18);
  const nodes: Node[] = PORTS.nodes.map((p, i) => ({
    name: `pg${i + 1}`,
    pgPort: p.pg,
    restPort: p.rest,
    dataDir: path.join(dir, 'data', `pg${i + 1}`),
    patroni: null,
  }));

  startProc(
    'etcd',
    '/usr/bin/etcd',
    [
      '--name=ha',
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${PORTS.etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${PORTS.etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`,
      `--initial-cluster=ha=http://127.0.0.1:${PORTS.etcdPeer}`,
    ],
    path.join(dir, 'log', 'etcd.log'),
  );
  await waitFor('etcd', 30_000, async () => (await fetch(`http://127.0.0.1:${PORTS.etcdClient}/health`)).ok);

  for (const node of nodes) {
    const file = path.join(dir, `${node.name}.yml`);
    fs.writeFileSync(file, patroniConfig({ dir, node, superPassword, replPassword }), { mode: 0o600 });
    fs.chownSync(file, pgUid, pgGid);
    // PostgreSQL refuses root; setpriv execs, so the child is Patroni itself.
    node.patroni = startProc(node.name, 'setpriv', [...asPostgres, '/usr/bin/patroni', file], path.join(dir, 'log', `${node.name}.out`), {
      ...process.env,
      HOME: path.join(dir, 'run'),
    });
  }

  const haCfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(haCfg, haproxyConfig(nodes));
  startProc('haproxy', '/usr/sbin/haproxy', ['-db', '-f', haCfg], path.join(dir, 'log', 'haproxy.log'));

  const cluster: Cluster = {
    dir,
    superPassword,
    nodes,
    nodeUrl: (node, db = 'postgres') => `postgresql://postgres:${encodeURIComponent(superPassword)}@127.0.0.1:${node.pgPort}/${db}`,
    haproxyUrl: (user, password, db) => `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${PORTS.haproxy}/${db}`,
  };
  try {
    await waitFor(
      'a Patroni leader with two streaming replicas',
      120_000,
      async () => {
        if (nodes.every((n) => n.patroni!.child.exitCode !== null)) throw new GiveUp('every Patroni node exited');
        return (await streamingReplicas(cluster)) === 2;
      },
      500,
    );
  } catch (e) {
    for (const n of nodes) console.error(`--- ${n.name}\n${tail(n.patroni!.logFile)}`);
    throw e;
  }
  // HAProxy starts with every server up until its checks say otherwise: wait until only the leader is.
  await waitFor('HAProxy to route to the leader only', 30_000, async () => {
    const leader = await leaderNode(cluster);
    const up = await haproxyServersUp();
    return leader !== null && up.length === 1 && up[0] === leader.name;
  });
  return cluster;
}

/** Servers of HAProxy's read-write port that its health checks call up (from its stats CSV). */
export async function haproxyServersUp(): Promise<string[]> {
  const csv = await (await fetch(`http://127.0.0.1:${PORTS.haproxyStats}/;csv`, { signal: AbortSignal.timeout(1_000) })).text();
  const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
  const cols = header!.split(',');
  const [px, sv, status] = ['pxname', 'svname', 'status'].map((c) => cols.indexOf(c));
  return rows
    .map((r) => r.split(','))
    .filter((f) => f[px!] === 'primary' && /^pg\d$/.test(f[sv!]!) && f[status!] === 'UP')
    .map((f) => f[sv!]!);
}

/** The node Patroni calls primary, by its REST API. */
export async function leaderNode(cluster: Cluster): Promise<Node | null> {
  for (const n of cluster.nodes) {
    try {
      const r = await fetch(`http://127.0.0.1:${n.restPort}/primary`, { method: 'OPTIONS', signal: AbortSignal.timeout(1_000) });
      if (r.status === 200) return n;
    } catch {
      /* down */
    }
  }
  return null;
}

/** Replicas streaming from the leader (Patroni's REST API says only "running"). */
export async function streamingReplicas(cluster: Cluster): Promise<number> {
  const leader = await leaderNode(cluster);
  if (!leader) return 0;
  const client = new pg.Client({ connectionString: cluster.nodeUrl(leader), connectionTimeoutMillis: 1_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const r = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'");
    return r.rows[0]!.n;
  } finally {
    await client.end().catch(() => {});
  }
}

/** `kill -9` of the leader's postmaster; returns the node. */
export function killPostmaster(node: Node): number {
  const pid = postmasterPid(node.dataDir);
  if (!pid) throw new Error(`no postmaster runs for ${node.name}`);
  process.kill(pid, 'SIGKILL');
  return pid;
}
