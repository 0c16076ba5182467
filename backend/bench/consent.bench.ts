// npm run bench:consent — the consent gate on a partner's read of a case with 200 journal entries
// under 10 consents (a 16-year-old: both guardians with custody and the subject must consent).
//  1. The gate's own evaluation per case read, in this process: prepare (age, parties, consent
//     statuses) + decide for all 200 entries, many iterations. Target ≤ 1 ms per read.
//  2. With autocannon against the real server (its own process; embedded PostgreSQL in a temporary
//     directory, or BENCH_DATABASE_URL): the partner's full read (gate + disclosure ledger + audit)
//     against the owner's read of the same case. Targets: partner/owner throughput ≥ 0.50 for the
//     case, ≥ 0.60 for a page of 100 entries.
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../src/config.js';
import { addDays, addMonths, stockholmDate } from '../src/modules/consents/calendar.js';
import { prepareGate, type GateConsent } from '../src/modules/consents/gate.js';
import { loadPolicies } from '../src/plugins/app/policies.js';
import { fmt, load, login, startApi, type LoadResult } from './lib.js';
import { BenchResults } from './results.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ITERATIONS = Number(process.env.BENCH_GATE_ITERATIONS ?? 20_000);

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

const api = await startApi();
const bench = new BenchResults(
  'consent',
  `autocannon -c ${CONNECTIONS} -d ${SECONDS}s, the API in its own process, PostgreSQL on the same machine (${os.cpus().length} cores); a case with 200 entries and 10 consents (2 guardians with custody + subject aged 16), partner = school`,
);
let exitCode = 0;
try {
  const call = async <T>(token: string, method: string, url: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${api.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const [social, school] = [await login(api.url, 'social'), await login(api.url, 'school')];
  const agencies = await call<{ id: string; name: string; kind: string }[]>(await login(api.url, 'admin'), 'GET', '/api/admin/agencies');
  const id = (kind: string): string => agencies.find((x) => x.kind === kind)!.id;
  const [A_SOCIAL, A_SCHOOL, A_POLICE, A_LEISURE] = [id('social_services'), id('school'), id('police'), id('leisure')];

  // ---- the case -----------------------------------------------------------------------------
  const today = stockholmDate(new Date());
  const c = await call<{ id: string; subject: { id: string; guardians: { id: string; custody: boolean }[] } }>(
    social,
    'POST',
    '/api/cases',
    {
      type: 'sspf',
      area: 'Norrby',
      reason: 'Benchmark',
      agencyIds: [A_SCHOOL, A_POLICE, A_LEISURE],
      subject: {
        personalIdentityNumber: pin(addMonths(today, -16 * 12 - 3), '481'),
        firstName: 'Bench',
        lastName: 'Marksson',
        guardians: [
          { firstName: 'G1', lastName: 'Marksson', custody: true },
          { firstName: 'G2', lastName: 'Marksson', custody: true },
        ],
      },
    },
  );
  const [g1, g2] = c.subject.guardians.map((g) => ({ kind: 'guardian', guardianId: g.id }));
  const subject = { kind: 'subject' };
  const consent = async (
    givenBy: unknown,
    agencyIds: string[],
    categories: string[],
    validFrom = addDays(today, -30),
    validTo = addDays(today, 300),
  ): Promise<string> =>
    (
      await call<{ id: string }>(social, 'POST', `/api/cases/${c.id}/consents`, {
        givenBy,
        agencyIds,
        categories,
        purpose: 'Benchmark',
        validFrom,
        validTo,
        method: 'written',
        evidenceRef: 'bench',
      })
    ).id;
  for (const p of [g1, g2, subject]) await consent(p, [A_SOCIAL, A_SCHOOL], ['identity', 'school', 'plan']);
  for (const p of [g1, g2, subject]) await consent(p, [A_SOCIAL, A_SCHOOL], ['identity', 'social']);
  await consent(subject, [A_SOCIAL, A_POLICE], ['identity']);
  await consent(g1, [A_SOCIAL, A_SCHOOL], ['identity', 'health'], addDays(today, -200), addDays(today, -1));
  const withdrawn = await consent(g2, [A_SOCIAL, A_SCHOOL], ['identity', 'health']);
  await call(social, 'POST', `/api/consents/${withdrawn}/withdraw`, { reason: 'Benchmark' });
  await consent(subject, [A_SOCIAL, A_LEISURE], ['identity', 'leisure'], addDays(today, 10), addDays(today, 100));

  // 200 entries: 120 by social services (identity, social, health), 80 by the school.
  const plan: [string, string][] = [];
  for (let i = 0; i < 200; i++)
    plan.push(i < 80 ? [school, 'school'] : i < 100 ? [social, 'identity'] : i < 160 ? [social, 'social'] : [social, 'health']);
  for (const [token, category] of plan)
    await call(token, 'POST', `/api/cases/${c.id}/entries`, { category, text: `Anteckning (${category}) — ${'text '.repeat(40)}` });

  // ---- 1. the gate in-process ------------------------------------------------------------------
  const rules = loadPolicies(path.join(repoRoot, 'policies')).consent;
  const detail = await call<{ subject: { birthDate: string; guardians: { id: string; custody: boolean }[] } }>(
    social,
    'GET',
    `/api/cases/${c.id}`,
  );
  const consents = await call<
    {
      id: string;
      givenBy: { kind: 'subject' | 'guardian'; guardianId?: string };
      agencyIds: string[];
      categories: string[];
      validFrom: string;
      validTo: string;
      withdrawnAt: string | null;
    }[]
  >(social, 'GET', `/api/cases/${c.id}/consents`);
  const entries: { agencyId: string; category: string }[] = [];
  for (let page = 1; page <= 2; page++)
    entries.push(
      ...(
        await call<{ items: { agencyId: string; category: string }[] }>(
          social,
          'GET',
          `/api/cases/${c.id}/entries?page=${page}&pageSize=100`,
        )
      ).items,
    );
  if (entries.length !== 200) throw new Error(`expected the owner to see 200 entries, saw ${entries.length}`);
  const gateConsents: GateConsent[] = consents.map((x) => ({
    id: x.id,
    givenBy: x.givenBy.kind === 'guardian' ? { kind: 'guardian', guardianId: x.givenBy.guardianId! } : { kind: 'subject' },
    agencyIds: x.agencyIds,
    categories: x.categories,
    validFrom: x.validFrom,
    validTo: x.validTo,
    withdrawnAt: x.withdrawnAt ? new Date(x.withdrawnAt) : null,
  }));
  const facts = { subjectBirthDate: detail.subject.birthDate, guardians: detail.subject.guardians, consents: gateConsents };
  const read = (): number => {
    const gate = prepareGate(rules, { ...facts, at: new Date() });
    let shown = 0;
    for (const e of entries) if (gate.decide({ fromAgencyId: e.agencyId, toAgencyId: A_SCHOOL, category: e.category }).allow) shown++;
    return shown;
  };
  for (let i = 0; i < 1000; i++) read();
  const t0 = process.hrtime.bigint();
  let shown = 0;
  for (let i = 0; i < ITERATIONS; i++) shown = read();
  const perReadUs = Number(process.hrtime.bigint() - t0) / 1e3 / ITERATIONS;

  // ---- 2. full reads over HTTP ---------------------------------------------------------------
  const url = (u: string): string => `${api.url}${u}`;
  const entriesUrl = `/api/cases/${c.id}/entries?pageSize=100`;
  const caseUrl = `/api/cases/${c.id}`;
  const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
  await load({ url: url(entriesUrl), duration: 2, connections: CONNECTIONS, headers: auth(social) });
  const results: Record<string, LoadResult> = {};
  for (const [name, u, token] of [
    ['owner   entries', entriesUrl, social],
    ['partner entries', entriesUrl, school],
    ['owner   case', caseUrl, social],
    ['partner case', caseUrl, school],
  ] as const) {
    results[name] = await load({ url: url(u), duration: SECONDS, connections: CONNECTIONS, headers: auth(token) });
  }
  const partnerSample = await call<{ items: unknown[]; withheld: { category: string; count: number; reason: string }[] }>(
    school,
    'GET',
    entriesUrl,
  );
  const entriesRatio = results['partner entries']!.rps / results['owner   entries']!.rps;
  const caseRatio = results['partner case']!.rps / results['owner   case']!.rps;

  console.log(
    `\nbench:consent — ${bench.setup}; load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`  the partner sees ${shown}/200 entries (withheld on a page: ${JSON.stringify(partnerSample.withheld)})`);
  console.log(
    `  gate per case read (prepare + 200 decisions), in-process: ${perReadUs.toFixed(1)} µs   ${bench.check('gate per case read, in-process', perReadUs, 'µs', '≤', 1000)}`,
  );
  for (const [name, r] of Object.entries(results)) console.log(`  GET ${name.padEnd(16)} ${fmt(r)}`);
  console.log(
    `  ratio partner/owner, entries (100 per page, ledger rows for each crossing item): ${entriesRatio.toFixed(2)}   ${bench.check('throughput partner ÷ owner, a page of 100 entries', entriesRatio, '', '≥', 0.6)}`,
  );
  console.log(
    `  ratio partner/owner, case:                                                       ${caseRatio.toFixed(2)}   ${bench.check('throughput partner ÷ owner, the case', caseRatio, '', '≥', 0.5)}`,
  );
  bench.figure('entries the partner sees', shown);
  bench.figure('withheld on a page', partnerSample.withheld);
  for (const [name, r] of Object.entries(results)) bench.figure(`GET ${name.replace(/ +/g, ' ')}`, r);
  if (Object.values(results).some((r) => r.non2xx > 0)) {
    console.log('  some requests failed (non-2xx): see above');
    exitCode = 1;
  } else {
    bench.write();
  }
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await api.stop();
}
process.exit(exitCode);
