// npm run bench:areas — an area's picture (GET /api/areas/:area for one year: observations per
// week and category, open actions, the last meetings) with BENCH_AREAS_OBSERVATIONS (default
// 200,000) observations over three years and thirteen areas, 40 % of them in Norrby. Beside the
// API: the route's own statement (areaPictureSql: the caller's areas, the picture and the read's
// audit INSERT, the same text with the same values and a fresh event id each time) run through
// `pg` as the route runs it (a named prepared statement per connection) with the same number of
// clients. pgbench cannot give each run a fresh event id (audit_queue.event_id is unique), so the
// SQL side is a `pg` loop. Target (issue 14): the API's p95 ≤ 1.5× the SQL's p95. SQL and API
// alternate in BENCH_ROUNDS (3) rounds; the figure is the median round's. The API runs in its own
// process (bench/lib.ts startApi).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { initOrm, migrate } from '../src/db/orm.js';
import { seedDemo } from '../src/db/seed.js';
import { areaPictureSql } from '../src/modules/areas/areas.sql.js';
import { AuditService } from '../src/plugins/app/audit.js';
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

/** The route's statement, as the route runs it, by CONNECTIONS clients for SECONDS. */
async function sqlRound(url: string, text: string, params: () => unknown[]): Promise<Stats> {
  const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  const latencies: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const client = await pool.connect();
      try {
        while (performance.now() < until) {
          const t0 = performance.now();
          await client.query({ name: 'picture', text, values: params() });
          latencies.push(performance.now() - t0);
        }
      } finally {
        client.release();
      }
    }),
  );
  await pool.end();
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
  const {
    rows: [me],
  } = await db.query<{ id: string; agency_id: string; roles: string[] }>(
    "SELECT id, agency_id, roles FROM app_user WHERE username = 'coordinator'",
  );
  await db.end();

  const to = stockholmDate(new Date());
  const from = addDays(to, -364);
  // The route's statement and values: the coordinator's agency, the area, the read's audit event
  // (a fresh id each run, as the route's), the picture's values.
  const ctx = {
    actorId: me!.id,
    actorAgencyId: me!.agency_id,
    actorRole: me!.roles.join(','),
    requestId: randomUUID(),
    clientIp: '127.0.0.1',
  };
  const audit = (): { text: string; params: unknown[] } =>
    new AuditService().insertStatement(
      ctx,
      [{ action: 'area.read', resourceType: 'area', resourceId: AREA, outcome: 'allowed' }],
      'EXISTS (SELECT 1 FROM ok)',
    );
  let n = 0;
  const text = areaPictureSql(audit().text).replace(/\?/g, () => `$${++n}`);
  const params = (): unknown[] => [me!.agency_id, AREA, ...audit().params, AREA, from, to, AREA, AREA, AREA];

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
    err(`round ${round}/${ROUNDS}: the route's SQL…\n`);
    sqlRounds.push(await sqlRound(url, text, params));
    err(`round ${round}/${ROUNDS}: API…\n`);
    apiRounds.push(await load({ url: target, headers: { authorization: `Bearer ${token}` }, duration: SECONDS, connections: CONNECTIONS }));
  }
  const ratios = apiRounds.map((a, i) => a.p95 / sqlRounds[i]!.p95);
  const mid = ratios.indexOf(median(ratios));
  const a = apiRounds[mid]!;
  const s = sqlRounds[mid]!;

  const bench = new BenchResults(
    'areas',
    `GET /api/areas/${AREA} for one year (${counted[0]!.n.toLocaleString('en')} of ${OBSERVATIONS.toLocaleString('en')} observations, ${weeks} week × category cells) as the coordinator; autocannon -c ${CONNECTIONS} -d ${SECONDS}s, the API in its own process; the route's statement (areaPictureSql, the areas check and audit INSERT included) through pg as a named prepared statement, ${CONNECTIONS} clients, with the same values; PostgreSQL on the same machine (${os.cpus().length} cores); median of ${ROUNDS} interleaved rounds`,
  );
  const verdict = bench.check("API p95 / the route's SQL p95 (the same statement)", a.p95 / s.p95, '×', '≤', 1.5);
  console.log(`\narea picture, one year, ${OBSERVATIONS.toLocaleString('en')} observations (loaded in ${seconds.toFixed(1)} s)`);
  console.log(`  ${''.padEnd(10)} ${'req/s'.padStart(8)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)}`);
  console.log(
    `  ${'API'.padEnd(10)} ${a.rps.toFixed(0).padStart(8)} ${a.p50.toFixed(1).padStart(7)} ${a.p95.toFixed(1).padStart(7)} ${a.p99.toFixed(1).padStart(7)}  (${a.non2xx} non-2xx)`,
  );
  console.log(
    `  ${'SQL'.padEnd(10)} ${s.perSecond.toFixed(0).padStart(8)} ${s.p50.toFixed(1).padStart(7)} ${s.p95.toFixed(1).padStart(7)} ${s.p99.toFixed(1).padStart(7)}`,
  );
  console.log(`  API p95 / SQL p95 = ${(a.p95 / s.p95).toFixed(2)} ${verdict}   (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`);
  console.log('  (latencies in ms; the API also checks the session; the areas check and the audit event are in the statement)');
  bench.figure('bulkLoadSeconds', seconds);
  bench.figure('observationsInAreaYear', counted[0]!.n);
  bench.figure('api', { rps: a.rps, p50: a.p50, p95: a.p95, p99: a.p99, non2xx: a.non2xx });
  bench.figure('sql', s);
  bench.figure('apiToSqlP95', a.p95 / s.p95);
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
