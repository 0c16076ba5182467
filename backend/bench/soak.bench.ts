// npm run bench:soak — the compiled API (backend/dist) under 50 connections for 10 minutes:
// does its memory stay flat? RSS at start, after warm-up and at the end; target: growth after
// warm-up ≤ 10 %. SOAK_SECONDS / SOAK_WARMUP_SECONDS shorten a trial run; SOAK_SKIP_BUILD=1
// uses the dist/ already built. Prometheus is imitated: /metrics is scraped every 15 s.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { newCaseBody } from '../test/cases/fixtures.js';
import { backendDir, fmt, freePort, load, login, startApi } from './lib.js';
import { BenchResults } from './results.js';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
const warmup = Number(process.env.SOAK_WARMUP_SECONDS ?? Math.min(60, Math.round(seconds / 5)));
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SAMPLE_MS = 5_000;

if (process.env.SOAK_SKIP_BUILD !== '1') {
  console.log('Compiling the backend (npm run build -w backend)…');
  const build = spawnSync('npm', ['run', 'build'], { cwd: backendDir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error('the backend did not compile: see the messages above');
}

const metricsPort = await freePort();
const api = await startApi({ METRICS_PORT: String(metricsPort) }, { compiled: true });
const results = new BenchResults(
  'soak',
  `autocannon -c ${connections} -d ${seconds}s on GET /api/me, /api/cases and /api/cases/:id as a social worker, the compiled API (node dist/server.js, --max-old-space-size=256) in its own process, /metrics scraped every 15 s, PostgreSQL on the same machine (${os.cpus().length} cores); warm-up ${warmup}s`,
);
try {
  const token = await login(api.url, 'social');
  const headers = { authorization: `Bearer ${token}` };
  const created = await fetch(`${api.url}/api/cases`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(newCaseBody()),
  });
  if (created.status !== 201) throw new Error(`the case to read could not be created: ${created.status}`);
  const caseId = ((await created.json()) as { id: string }).id;

  const start = api.rssMb();
  const samples: { s: number; rssMb: number }[] = [];
  const began = Date.now();
  const sampler = setInterval(
    () => samples.push({ s: Math.round((Date.now() - began) / 1000), rssMb: Math.round(api.rssMb()) }),
    SAMPLE_MS,
  );
  let scrapes = 0;
  const scraper = setInterval(() => {
    fetch(`http://127.0.0.1:${metricsPort}/metrics`)
      .then((r) => r.text())
      .then(() => (scrapes += 1))
      .catch(() => undefined);
  }, 15_000);
  const run = await load({
    url: api.url,
    duration: seconds,
    connections,
    headers,
    requests: [{ path: '/api/me' }, { path: '/api/cases' }, { path: `/api/cases/${caseId}` }],
  });
  clearInterval(sampler);
  clearInterval(scraper);
  const end = api.rssMb();

  const afterWarmup = samples.find((x) => x.s >= warmup)?.rssMb ?? start;
  const peak = Math.max(...samples.filter((x) => x.s >= warmup).map((x) => x.rssMb), end);
  const growth = ((end - afterWarmup) / afterWarmup) * 100;
  console.log(`\nbench:soak — ${results.setup}`);
  console.log(`  load                   ${fmt(run)}`);
  console.log(`  RSS at start           ${start.toFixed(0)} MB`);
  console.log(`  RSS after warm-up      ${afterWarmup.toFixed(0)} MB (at ${warmup} s)`);
  console.log(`  RSS at the end         ${end.toFixed(0)} MB (peak after warm-up ${peak.toFixed(0)} MB)`);
  console.log(`  growth after warm-up   ${growth.toFixed(1)} %   ${results.check('RSS growth after warm-up', growth, '%', '≤', 10)}`);
  console.log(`  metrics scrapes        ${scrapes}`);
  results.figure('load', run);
  results.figure('rssMb', { start: Math.round(start), afterWarmup, end: Math.round(end), peakAfterWarmup: peak });
  results.figure('rssSamples', samples);
  results.figure('metricsScrapes', scrapes);
  results.write();
} finally {
  await api.stop();
}
