// npm run bench:areas — an area's picture (GET /api/areas/:area for one year: observations per
// week and category, open actions, the last meetings) with BENCH_AREAS_OBSERVATIONS (default
// 200,000) observations over three years and thirteen areas, 40 % of them in Norrby. Beside the
// API: pgbench running the route's own statement (PICTURE_SQL, the same text with the same
// values) on the same database with the same number of clients. Target (issue 14): the API's p95
// ≤ 1.5× pgbench's p95. SQL and API alternate in BENCH_ROUNDS (3) rounds; the figure is the
// median round's. The API runs in its own process (bench/lib.ts startApi).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { initOrm, migrate } from '../src/db/orm.js';
import { seedDemo } from '../src/db/seed.js';
import { PICTURE_SQL } from '../src/modules/areas/areas.sql.js';
import { addDays, stockholmDate } from '../src/modules/consents/calendar.js';
import { freePort, load, login, startApi, type ApiProcess, type LoadResult } from './lib.js';
import { BenchResults } from './results.js';

const PASSWORD = 'samverka-demo-2026';
const OBSERVATIONS = Number(process.env.BENCH_AREAS_OBSERVATIONS ?? 200_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const AREA = 'Norrby';
const err = (s: string): boolean => process.stderr.write(s);

interface Stats {
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Observations over the last three years: 40 % in Norrby, the rest spread over the other areas. */
async function bulkLoad(db: pg.Client): Promise<number> {
  const started = performance.now();
  const { rows } = await db.query<{ user_id: string; agency_id: string }>(
    "SELECT id AS user_id, agency_id FROM app_user WHERE username = 'police'",
  );
  const { user_id, agency_id } = rows[0]!;
  const areas = [
    'Hässleholmen',
    'Hulta',
    'Sjöbo',
    'Centrum',
    'Brämhult',
    'Göta',
    'Trandared',
    'Byttorp',
    'Dalsjöfors',
    'Fristad',
    'Sandared',
    'Viskafors',
  ];
  const categories = ['gatherings', 'vandalism', 'threats_violence', 'weapons', 'drugs', 'recruitment', 'positive'];
  await db.query(
    `INSERT INTO area_observation (id, area, observed_at, place, category, group_size, age_from, age_to, description, agency_id, recorded_by, created_at)
     SELECT md5('o' || n)::uuid,
            CASE WHEN n % 5 < 2 THEN $1 ELSE ($2::text[])[1 + (n % 12)] END,
            now() - (random() * interval '1095 days'),
            'Plats ' || (n % 40), ($3::text[])[1 + (n % 7)], 1 + n % 30, 12, 17, 'Bänkad observation', $4, $5, now()
     FROM generate_series(1, $6::int) n`,
    [AREA, areas, categories, agency_id, user_id, OBSERVATIONS],
  );
  // What autovacuum does after a bulk load in production: statistics, and the visibility map an index-only scan needs.
  await db.query('VACUUM (ANALYZE) area_observation');
  return (performance.now() - started) / 1000;
}

/** PICTURE_SQL with its values written in: pgbench runs exactly the route's text. */
function literalSql(params: readonly string[]): string {
  let i = 0;
  return `${PICTURE_SQL.replace(/\?/g, () => `'${params[i++]!.replaceAll("'", "''")}'`).trim()};\n`;
}

async function pgbench(url: string, script: string, tmp: string, round: number): Promise<Stats> {
  const file = path.join(tmp, `picture_${round}.sql`);
  fs.writeFileSync(file, script);
  const prefix = path.join(tmp, `log_${round}`);
  const u = new URL(url);
  const args = [
    '-n',
    '-c',
    String(CONNECTIONS),
    '-j',
    '2',
    '-T',
    String(SECONDS),
    '-M',
    'prepared',
    '-f',
    file,
    '-l',
    `--log-prefix=${prefix}`,
  ];
  args.push('-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), u.pathname.slice(1));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.env.PGBENCH ?? 'pgbench', args, {
      env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`pgbench failed: ${stderr.split('\n').slice(0, 3).join(' ')}`))));
  });
  const latencies: number[] = [];
  for (const f of fs.readdirSync(tmp).filter((f) => f.startsWith(`log_${round}`))) {
    for (const line of fs.readFileSync(path.join(tmp, f), 'utf8').split('\n')) {
      const us = Number(line.split(' ')[2]);
      if (line && Number.isFinite(us)) latencies.push(us / 1000);
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / SECONDS,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-bench-areas-'));
fs.chmodSync(tmp, 0o755);
let embedded: EmbeddedDatabase | undefined;
let api: ApiProcess | undefined;
let exitCode = 0;
try {
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    err('starting embedded PostgreSQL…\n');
    embedded = await startEmbeddedPostgres(path.join(tmp, 'pg'), await freePort());
    await embedded.ensureDatabase('samverka_bench');
    url = embedded.databaseUrl('samverka_bench');
  }
  const migrator = await initOrm(url, 2);
  await migrate(migrator);
  await seedDemo(migrator.em.fork(), PASSWORD);
  await migrator.close();
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  err(`loading ${OBSERVATIONS.toLocaleString('en')} observations…\n`);
  const seconds = await bulkLoad(db);
  const { rows: counted } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM area_observation WHERE area = $1 AND observed_at >= now() - interval '1 year'",
    [AREA],
  );
  await db.end();

  const to = stockholmDate(new Date());
  const from = addDays(to, -364);
  const script = literalSql([AREA, from, to, AREA, AREA, AREA]);

  api = await startApi({ DATABASE_URL: url, DEMO_PASSWORD: PASSWORD, AUDIT_SEQUENCER: 'false' });
  const token = await login(api.url, 'coordinator', PASSWORD);
  const target = `${api.url}/api/areas/${encodeURIComponent(AREA)}?from=${from}&to=${to}`;
  const check = await fetch(target, { headers: { authorization: `Bearer ${token}` } });
  if (!check.ok) throw new Error(`GET the picture: ${check.status} ${await check.text()}`);
  const weeks = ((await check.json()) as { weeks: unknown[] }).weeks.length;
  await load({ url: target, headers: { authorization: `Bearer ${token}` }, duration: 2, connections: CONNECTIONS });

  const apiRounds: LoadResult[] = [];
  const sqlRounds: Stats[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    err(`round ${round}/${ROUNDS}: pgbench…\n`);
    sqlRounds.push(await pgbench(url, script, tmp, round));
    err(`round ${round}/${ROUNDS}: API…\n`);
    apiRounds.push(await load({ url: target, headers: { authorization: `Bearer ${token}` }, duration: SECONDS, connections: CONNECTIONS }));
  }
  const ratios = apiRounds.map((a, i) => a.p95 / sqlRounds[i]!.p95);
  const mid = ratios.indexOf(median(ratios));
  const a = apiRounds[mid]!;
  const s = sqlRounds[mid]!;

  const bench = new BenchResults(
    'areas',
    `GET /api/areas/${AREA} for one year (${counted[0]!.n.toLocaleString('en')} of ${OBSERVATIONS.toLocaleString('en')} observations, ${weeks} week × category cells) as the coordinator; autocannon -c ${CONNECTIONS} -d ${SECONDS}s, the API in its own process; pgbench -c ${CONNECTIONS} -M prepared running the route's PICTURE_SQL with the same values; PostgreSQL on the same machine (${os.cpus().length} cores); median of ${ROUNDS} interleaved rounds`,
  );
  const verdict = bench.check('API p95 / pgbench p95 of the same SQL', a.p95 / s.p95, '×', '≤', 1.5);
  console.log(`\narea picture, one year, ${OBSERVATIONS.toLocaleString('en')} observations (loaded in ${seconds.toFixed(1)} s)`);
  console.log(`  ${''.padEnd(10)} ${'req/s'.padStart(8)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)}`);
  console.log(
    `  ${'API'.padEnd(10)} ${a.rps.toFixed(0).padStart(8)} ${a.p50.toFixed(1).padStart(7)} ${a.p95.toFixed(1).padStart(7)} ${a.p99.toFixed(1).padStart(7)}  (${a.non2xx} non-2xx)`,
  );
  console.log(
    `  ${'pgbench'.padEnd(10)} ${s.perSecond.toFixed(0).padStart(8)} ${s.p50.toFixed(1).padStart(7)} ${s.p95.toFixed(1).padStart(7)} ${s.p99.toFixed(1).padStart(7)}`,
  );
  console.log(
    `  API p95 / pgbench p95 = ${(a.p95 / s.p95).toFixed(2)} ${verdict}   (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
  );
  console.log("  (latencies in ms; the API also checks the session and the caller's areas and writes the read's audit event)");
  bench.figure('bulkLoadSeconds', seconds);
  bench.figure('observationsInAreaYear', counted[0]!.n);
  bench.figure('api', { rps: a.rps, p50: a.p50, p95: a.p95, p99: a.p99, non2xx: a.non2xx });
  bench.figure('pgbench', s);
  bench.figure('apiToPgbenchP95', a.p95 / s.p95);
  bench.figure('roundRatios', ratios);
  if (a.non2xx > 0) throw new Error(`${a.non2xx} requests failed`);
  bench.write();
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await api?.stop().catch(() => {});
  await embedded?.stop().catch(() => {});
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
