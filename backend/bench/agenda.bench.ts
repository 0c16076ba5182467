// npm run bench:agenda — the start page (GET /api/me/agenda) of a caseworker with 40 open cases,
// among BENCH_AGENDA_CASES (default 100,000) other cases of the same agency, each with a plan
// action, a meeting, a consent and a journal entry. The 40 are made through the API as a
// caseworker would (a partner takes part under a consent that ends soon, plan actions overdue
// and due, a meeting, the partner's entries unread); the others are bulk-loaded. Beside the API:
// the route's own SQL run directly through `pg` with the same concurrency — its one statement
// (ownerAgendaSql), which also writes the read's audit events (one per case shown). Target
// (issue 12): the API's p95 ≤ 1.5× that SQL's own p95, SQL and API alternating in BENCH_ROUNDS
// (3) rounds, the median round's ratio. The API runs in its own process (bench/lib.ts startApi).
// `npm run bench:cases` runs this bench as its last stage.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { initOrm, migrate } from '../src/db/orm.js';
import { seedDemo } from '../src/db/seed.js';
import { AUDITED_IN_STATEMENT, AUDITED_SOURCE, ownerAgendaSql } from '../src/modules/agenda/agenda.sql.js';
import { AuditService } from '../src/plugins/app/audit.js';
import { MEETING_DAYS, PLAN_LEAD_DAYS } from '../src/modules/agenda/agenda.service.js';
import { addDays, addMonths, stockholmDate } from '../src/modules/consents/calendar.js';
import { fmt, freePort, load, login, machineSpeed, processCpuMs, startApi, type ApiProcess, type LoadResult } from './lib.js';
import { BenchResults } from './results.js';

const PASSWORD = 'samverka-demo-2026';
/** Other cases of the agency, a multiple of BATCH. */
const OTHER_CASES = Number(process.env.BENCH_AGENDA_CASES ?? 100_000);
const MY_CASES = 40;
const BATCH = 5_000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
/** Rounds of SQL then API, alternating; the figure is the median round's (the machine's speed drifts). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const err = (s: string): boolean => process.stderr.write(s);

/** A valid personnummer for a birth date and birth number. */
function pin(birthDate: string, serial: string): string {
  const nine = `${birthDate.replaceAll('-', '').slice(2)}${serial}`;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return `${birthDate.replaceAll('-', '')}${serial}${(10 - (sum % 10)) % 10}`;
}

interface SqlStats {
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** The other cases of the agency, owned by another caseworker: one plan action and one meeting each. */
async function bulkLoad(db: pg.Client, today: string): Promise<number> {
  const started = performance.now();
  await db.query(
    `INSERT INTO app_user (id, username, display_name, password_hash, agency_id, roles)
    SELECT $1, 'bench.other', 'Annan Handläggare', password_hash, agency_id, roles FROM app_user WHERE username = 'social'`,
    [randomUUID()],
  );
  const { rows } = await db.query<{ id: string; agency_id: string }>("SELECT id, agency_id FROM app_user WHERE username = 'bench.other'");
  const other = rows[0]!;
  // In batches, each its own transaction: the case-number trigger bumps one counter row per case.
  for (let to = BATCH; to <= OTHER_CASES; to += BATCH) {
    await db.query(
      `INSERT INTO subject (id, owner_agency_id, personal_identity_number, birth_date, first_name, last_name)
      SELECT md5('s' || n)::uuid, $1, '1990' || lpad(n::text, 8, '0'), date '1990-01-01', 'Förnamn' || n, 'Efternamn' FROM generate_series($2::int - ${BATCH - 1}, $2::int) n`,
      [other.agency_id, to],
    );
    await db.query(
      `INSERT INTO support_case (id, subject_id, owner_agency_id, owner_user_id, type, area, reason)
      SELECT md5('c' || n)::uuid, md5('s' || n)::uuid, $1, $2, 'sspf', 'Norrby', 'Bulk' FROM generate_series($3::int - ${BATCH - 1}, $3::int) n`,
      [other.agency_id, other.id, to],
    );
    await db.query(
      `INSERT INTO plan_item (id, case_id, author_user_id, author_agency_id, responsible_agency_id, life_area, goal, action, due_date)
      SELECT md5('p' || n)::uuid, md5('c' || n)::uuid, $1, $2, $2, 'school', 'Mål', 'Insats', $3::date + (n % 90) - 30 FROM generate_series($4::int - ${BATCH - 1}, $4::int) n`,
      [other.id, other.agency_id, today, to],
    );
    await db.query(
      `INSERT INTO meeting (id, case_id, author_user_id, author_agency_id, date, agency_ids, agenda, minutes)
      SELECT md5('m' || n)::uuid, md5('c' || n)::uuid, $1, $2, $3::date + (n % 60) - 20, ARRAY[$2]::uuid[], 'Agenda', '' FROM generate_series($4::int - ${BATCH - 1}, $4::int) n`,
      [other.id, other.agency_id, today, to],
    );
    await db.query(
      `INSERT INTO consent (id, case_id, subject_id, given_by_kind, method, evidence_ref, agency_ids, categories, purpose, valid_from, valid_to, recorded_by, recorded_at)
      SELECT md5('k' || n)::uuid, md5('c' || n)::uuid, md5('s' || n)::uuid, 'subject', 'written', 'dok', ARRAY[$1, $1]::uuid[], '{identity}', 'Stöd',
        $3::date - 30, $3::date + (n % 400), $2, now() FROM generate_series($4::int - ${BATCH - 1}, $4::int) n`,
      [other.agency_id, other.id, today, to],
    );
    await db.query(
      `INSERT INTO journal_entry (id, case_id, author_user_id, author_agency_id, category, text)
      SELECT md5('e' || n)::uuid, md5('c' || n)::uuid, $1, $2, 'social', 'Anteckning' FROM generate_series($3::int - ${BATCH - 1}, $3::int) n`,
      [other.id, other.agency_id, to],
    );
  }
  await db.query('ANALYZE');
  return (performance.now() - started) / 1000;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-bench-agenda-'));
fs.chmodSync(tmp, 0o755);
let embedded: EmbeddedDatabase | undefined;
let api: ApiProcess | undefined;
let exitCode = 0;
try {
  err('starting embedded PostgreSQL…\n');
  embedded = await startEmbeddedPostgres(path.join(tmp, 'pg'), await freePort());
  await embedded.ensureDatabase('samverka_bench');
  const url = embedded.databaseUrl('samverka_bench');
  const migrator = await initOrm(url, 2);
  await migrate(migrator);
  await seedDemo(migrator.em.fork(), PASSWORD);
  await migrator.close();
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const today = stockholmDate(new Date());
  err(`bulk-loading ${OTHER_CASES.toLocaleString('en')} other cases…\n`);
  const loadSeconds = await bulkLoad(db, today);

  api = await startApi({ DATABASE_URL: url, DEMO_PASSWORD: PASSWORD, AUDIT_SEQUENCER: 'false', JOBS: 'false' });
  const call = async <T>(token: string, method: string, route: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${api!.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const [social, school] = [await login(api.url, 'social', PASSWORD), await login(api.url, 'school', PASSWORD)];
  const agencies = await call<{ id: string; kind: string }[]>(await login(api.url, 'admin', PASSWORD), 'GET', '/api/admin/agencies');
  const id = (kind: string): string => agencies.find((x) => x.kind === kind)!.id;
  const [A_SOCIAL, A_SCHOOL] = [id('social_services'), id('school')];
  err(`making the caseworker's ${MY_CASES} cases through the API…\n`);
  for (let i = 0; i < MY_CASES; i++) {
    const c = await call<{ id: string }>(social, 'POST', '/api/cases', {
      type: 'sspf',
      area: 'Norrby',
      reason: 'Oro för skolgången.',
      agencyIds: [A_SCHOOL],
      subject: {
        personalIdentityNumber: pin(addMonths(today, -25 * 12 - i), String(300 + i)),
        firstName: `Elev${i}`,
        lastName: 'Benchsson',
      },
    });
    await call(social, 'POST', `/api/cases/${c.id}/consents`, {
      givenBy: { kind: 'subject' },
      agencyIds: [A_SOCIAL, A_SCHOOL],
      categories: ['identity', 'plan', 'school'],
      purpose: 'Samordnat stöd',
      validFrom: addDays(today, -30),
      validTo: addDays(today, 10 + (i % 20)),
      method: 'written',
      evidenceRef: `dok:2026/${i}`,
    });
    for (const [agency, due] of [
      [A_SOCIAL, -3],
      [A_SOCIAL, 3],
      [A_SCHOOL, 2],
      [A_SOCIAL, 60],
    ] as const) {
      const item = await call<{ id: string }>(social, 'POST', `/api/cases/${c.id}/plan-items`, {
        lifeArea: 'school',
        goal: 'Närvaro',
        action: `Insats ${i}`,
        responsibleAgencyId: agency,
        dueDate: addDays(today, 30),
      });
      await db.query('UPDATE plan_item SET due_date = $1 WHERE id = $2', [addDays(today, due), item.id]);
    }
    await call(social, 'POST', `/api/cases/${c.id}/meetings`, {
      date: addDays(today, 1 + (i % 13)),
      agencyIds: [A_SOCIAL, A_SCHOOL],
      agenda: 'Uppföljning',
      minutes: '',
    });
    for (let e = 0; e < 3; e++)
      await call(school, 'POST', `/api/cases/${c.id}/entries`, { category: 'school', text: `Frånvaro vecka ${e}.` });
  }
  const sample = await call<{ planActions: unknown[]; meetings: unknown[]; consentsEnding: unknown[]; unread: unknown[] }>(
    social,
    'GET',
    '/api/me/agenda',
  );
  const shown = `${sample.planActions.length} plan actions, ${sample.meetings.length} meetings, ${sample.consentsEnding.length} consents ending, ${sample.unread.length} cases with unread entries`;
  console.log(`the caseworker's start page: ${shown}`);

  const bench = new BenchResults(
    'agenda',
    `GET /api/me/agenda of a caseworker with ${MY_CASES} open cases among ${OTHER_CASES.toLocaleString('en')} other cases of the agency; autocannon -c ${CONNECTIONS} -d ${SECONDS}s, the API in its own process; the route's statement (with its audit INSERT) through pg with ${CONNECTIONS} connections, ${SECONDS}s; ${ROUNDS} alternating rounds, the median round's figures; PostgreSQL on the same machine (${os.cpus().length} cores)`,
  );
  bench.figure('bulkLoadSeconds', loadSeconds);
  bench.figure('shown', shown);

  // The route's own statement, as the route runs it (a named prepared statement per connection).
  const {
    rows: [me],
  } = await db.query<{ id: string; agency_id: string }>("SELECT id, agency_id FROM app_user WHERE username = 'social'");
  const auditWriter = new AuditService();
  const ctx = { actorId: me!.id, actorAgencyId: me!.agency_id, actorRole: 'social_worker', requestId: randomUUID(), clientIp: '127.0.0.1' };
  // The events' ids are fresh for every run of the statement, as the route's.
  const audit = (): { text: string; params: unknown[] } =>
    auditWriter.perRowStatement(
      ctx,
      { action: 'agenda.read', resourceType: 'case', outcome: 'allowed' },
      AUDITED_SOURCE,
      AUDITED_IN_STATEMENT,
    );
  const params = (): unknown[] => [
    me!.agency_id,
    me!.id,
    me!.id,
    me!.agency_id,
    me!.id,
    me!.id,
    randomUUID(),
    me!.agency_id,
    addDays(today, PLAN_LEAD_DAYS),
    today,
    addDays(today, MEETING_DAYS),
    today,
    today,
    addDays(today, 30),
    me!.agency_id,
    ...audit().params,
  ];
  let n = 0;
  const positional = ownerAgendaSql(audit().text).replace(/\?/g, () => `$${++n}`);
  if (process.env.BENCH_EXPLAIN === '1') {
    const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${positional}`, params());
    console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
  }
  const sqlRound = async (): Promise<SqlStats> => {
    const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
    const latencies: number[] = [];
    const until = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        const client = await pool.connect();
        try {
          while (performance.now() < until) {
            const t0 = performance.now();
            await client.query({ name: 'agenda', text: positional, values: params() });
            latencies.push(performance.now() - t0);
          }
        } finally {
          client.release();
        }
      }),
    );
    await pool.end();
    latencies.sort((a, b) => a - b);
    const at = (p: number): number => percentile(latencies, p);
    return { perSecond: latencies.length / SECONDS, p50: at(50), p95: at(95), p99: at(99) };
  };
  /** One API run, with the API process's own CPU time per request (user + system). */
  const apiRound = async (duration: number): Promise<LoadResult & { cpuMsPerRequest: number }> => {
    const cpu0 = processCpuMs(api!.child.pid!);
    const r = await load({
      url: `${api!.url}/api/me/agenda`,
      headers: { authorization: `Bearer ${social}` },
      duration,
      connections: CONNECTIONS,
    });
    return { ...r, cpuMsPerRequest: (processCpuMs(api!.child.pid!) - cpu0) / Math.max(1, r.requests) };
  };

  await apiRound(2);
  // SQL and API alternate, round by round: the machine's speed drifts within minutes, and a ratio
  // of two runs minutes apart would measure the drift.
  const rounds: { sql: SqlStats; api: LoadResult & { cpuMsPerRequest: number }; ratio: number }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const sqlStats = await sqlRound();
    const r = await apiRound(SECONDS);
    if (r.non2xx > 0) throw new Error(`${r.non2xx} requests failed`);
    rounds.push({ sql: sqlStats, api: r, ratio: r.p95 / sqlStats.p95 });
    console.log(
      `round ${round} of ${ROUNDS}: the route's SQL alone ${sqlStats.perSecond.toFixed(0).padStart(6)} /s  p50 ${sqlStats.p50.toFixed(1)} ms  p95 ${sqlStats.p95.toFixed(1)} ms  p99 ${sqlStats.p99.toFixed(1)} ms`,
    );
    console.log(`             GET /api/me/agenda ${fmt(r)}; API CPU ${r.cpuMsPerRequest.toFixed(2)} ms a request`);
    console.log(`             API p95 / SQL p95 = ${(r.p95 / sqlStats.p95).toFixed(2)}×`);
  }
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!;
  console.log(
    `API p95 / SQL p95 = ${median.ratio.toFixed(2)}× (median of ${ROUNDS} rounds: ${rounds.map((x) => x.ratio.toFixed(2)).join(' / ')}) ${bench.check(
      "API p95 / its SQL's own p95 (the statement, audit INSERT included), median round",
      median.ratio,
      '×',
      '≤',
      1.5,
    )}`,
  );
  bench.figure('statement', median.sql);
  bench.figure('api', median.api);
  bench.figure(
    'rounds',
    rounds.map((x) => ({ ratio: x.ratio, sqlP95: x.sql.p95, apiP95: x.api.p95, apiCpuMsPerRequest: x.api.cpuMsPerRequest })),
  );
  bench.figure('machineSpeedAtEnd', machineSpeed());
  console.log(`results: ${bench.write()}`);
  await db.end();
} catch (e) {
  exitCode = 1;
  console.error(e);
} finally {
  await api?.stop();
  await embedded?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
