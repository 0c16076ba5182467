// npm run bench:printouts — a plan PDF (åtagandeplan) of a case with 30 actions, each with a
// follow-up, asked for again and again by the owner and by a partner whose consent names the plan.
//  1. API CPU per PDF: the API server's own CPU time (user + system, from /proc) over sequential
//     requests, divided by their number: the HTTP layer, the one-door read, the audit and ledger
//     writes and the rendering. Target (issue 12): ≤ 300 ms.
//  2. The rendering alone, in this process (the layout and pdfkit, no I/O).
import os from 'node:os';
import { addDays, addMonths, stockholmDate } from '../src/modules/consents/calendar.js';
import { planPdf, type PlanPrintout } from '../src/modules/printouts/plan.layout.js';
import { login, processCpuMs as cpuMs, startApi } from './lib.js';
import { BenchResults } from './results.js';

const ACTIONS = 30;
const REQUESTS = Number(process.env.BENCH_PDF_REQUESTS ?? 60);
const RENDERS = Number(process.env.BENCH_PDF_RENDERS ?? 60);

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

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const api = await startApi();
const bench = new BenchResults(
  'printouts',
  `GET /api/cases/:id/plan.pdf of a case with ${ACTIONS} actions (one follow-up each), ${REQUESTS} sequential requests per caller, the API in its own process, PostgreSQL on the same machine (${os.cpus().length} cores)`,
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
  const agencies = await call<{ id: string; kind: string }[]>(await login(api.url, 'admin'), 'GET', '/api/admin/agencies');
  const id = (kind: string): string => agencies.find((x) => x.kind === kind)!.id;
  const [A_SOCIAL, A_SCHOOL, A_POLICE] = [id('social_services'), id('school'), id('police')];
  const today = stockholmDate(new Date());
  const c = await call<{ id: string }>(social, 'POST', '/api/cases', {
    type: 'sspf',
    area: 'Norrby',
    reason: 'Oro för skolgång, umgänge och sömn; kontakt med fältassistenter under hösten.',
    agencyIds: [A_SCHOOL, A_POLICE],
    subject: { personalIdentityNumber: pin(addMonths(today, -25 * 12), '482'), firstName: 'Åsa', lastName: 'Öberg-Lindqvist' },
  });
  const lifeAreas = ['school', 'leisure', 'family', 'peers', 'substance_use', 'crime'];
  for (let i = 0; i < ACTIONS; i++) {
    const item = await call<{ id: string }>(social, 'POST', `/api/cases/${c.id}/plan-items`, {
      lifeArea: lifeAreas[i % lifeAreas.length],
      goal: `Mål ${i + 1}: närvaro i skolan över 90 % och en trygg väg hem på kvällarna`,
      action: `Insats ${i + 1}: möte med kuratorn varje vecka, läxhjälp på tisdagar och kontakt med fritidsgården i Norrby`,
      responsibleAgencyId: i % 2 === 0 ? A_SCHOOL : A_POLICE,
      dueDate: addDays(today, 30 + i),
    });
    await call(social, 'PATCH', `/api/cases/${c.id}/plan-items/${item.id}`, {
      followUp: `Uppföljning ${i + 1}: närvaron har ökat, fortsätt som planerat.`,
    });
  }
  await call(social, 'POST', `/api/cases/${c.id}/consents`, {
    givenBy: { kind: 'subject' },
    agencyIds: [A_SOCIAL, A_SCHOOL],
    categories: ['identity', 'plan'],
    purpose: 'Samordnat stöd',
    validFrom: addDays(today, -1),
    validTo: addDays(today, 180),
    method: 'written',
    evidenceRef: 'bench:1',
  });

  const pdfUrl = `${api.url}/api/cases/${c.id}/plan.pdf`;
  const measure = async (token: string): Promise<{ cpuMsPerPdf: number; p50: number; p95: number; bytes: number }> => {
    const fetchPdf = async (): Promise<number> => {
      const res = await fetch(pdfUrl, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200 || res.headers.get('content-type') !== 'application/pdf') throw new Error(`plan.pdf: ${res.status}`);
      return (await res.arrayBuffer()).byteLength;
    };
    for (let i = 0; i < 5; i++) await fetchPdf();
    const latencies: number[] = [];
    let bytes = 0;
    const cpu0 = cpuMs(api.child.pid!);
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      bytes = await fetchPdf();
      latencies.push(performance.now() - t0);
    }
    const cpuMsPerPdf = (cpuMs(api.child.pid!) - cpu0) / REQUESTS;
    latencies.sort((a, b) => a - b);
    return { cpuMsPerPdf, p50: percentile(latencies, 50), p95: percentile(latencies, 95), bytes };
  };
  const owner = await measure(social);
  const partner = await measure(school);

  // The rendering alone, with the same shape of plan.
  const plan: PlanPrintout = {
    case: {
      caseNumber: 'SSPF-2026-0042',
      type: 'sspf',
      status: 'active',
      phase: null,
      ownerAgency: 'Socialtjänsten',
      person: {
        name: 'Åsa Öberg-Lindqvist',
        identityNumber: '20011204-4828',
        coordinationNumber: false,
        birthDate: null,
        protectedIdentity: false,
        adult: true,
      },
    },
    reason: 'Oro för skolgång, umgänge och sömn.',
    agencies: [
      { name: 'Socialtjänsten', owner: true },
      { name: 'Skolan', owner: false },
      { name: 'Polisen', owner: false },
    ],
    items: Array.from({ length: ACTIONS }, (_, i) => ({
      lifeArea: lifeAreas[i % lifeAreas.length]!,
      goal: `Mål ${i + 1}: närvaro i skolan över 90 %`,
      action: `Insats ${i + 1}: möte med kuratorn varje vecka`,
      responsible: 'Skolan',
      dueDate: addDays(today, 30 + i),
      status: 'planned',
      followUps: [{ date: today, author: 'Sara Socialsekreterare', note: 'Närvaron har ökat.' }],
    })),
    withheld: [],
    footer: 'Utskriven av Socialtjänsten',
  };
  for (let i = 0; i < 5; i++) await planPdf(plan);
  const c0 = process.cpuUsage();
  for (let i = 0; i < RENDERS; i++) await planPdf(plan);
  const used = process.cpuUsage(c0);
  const renderMs = (used.user + used.system) / 1000 / RENDERS;

  console.log(`\nbench:printouts — ${bench.setup}`);
  for (const [name, r] of [
    ['owner', owner],
    ['partner', partner],
  ] as const) {
    console.log(
      `  ${name.padEnd(7)} API CPU per plan PDF ${r.cpuMsPerPdf.toFixed(1)} ms   ${bench.check(`API CPU per plan PDF (${ACTIONS} actions), ${name}`, r.cpuMsPerPdf, 'ms', '≤', 300)}`,
    );
    console.log(`          latency p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms; ${r.bytes} bytes`);
    bench.figure(`${name}: API CPU per plan PDF (ms)`, r.cpuMsPerPdf);
    bench.figure(`${name}: latency p50 / p95 (ms, sequential)`, [r.p50, r.p95]);
    bench.figure(`${name}: PDF size (bytes)`, r.bytes);
  }
  console.log(`  rendering alone (layout + pdfkit), in-process: ${renderMs.toFixed(1)} ms CPU per PDF`);
  bench.figure('rendering alone, in-process CPU per PDF (ms)', renderMs);
  bench.write();
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  await api.stop();
}
process.exit(exitCode);
