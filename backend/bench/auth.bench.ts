// npm run bench:auth — authenticated GET /api/me against GET /api/health on the same server.
// Target: token verification + session check costs no more than half the health route's
// throughput (ratio ≥ 0.5); backend resident memory under that load ≤ 250 MB.
import os from 'node:os';
import { fmt, load, login, startApi } from './lib.js';
import { BenchResults } from './results.js';

const duration = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);

const api = await startApi();
const results = new BenchResults(
  'auth',
  `autocannon -c ${connections} -d ${duration}s, the API in its own process, PostgreSQL on the same machine (${os.cpus().length} cores)`,
);
try {
  const token = await login(api.url, 'social');
  await load({ url: `${api.url}/api/health`, duration: 2, connections });
  const health = await load({ url: `${api.url}/api/health`, duration, connections });
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, api.rssMb())), 250);
  const me = await load({ url: `${api.url}/api/me`, duration, connections, headers: { authorization: `Bearer ${token}` } });
  clearInterval(sampler);
  const ratio = me.rps / health.rps;
  console.log(`\nbench:auth — ${results.setup}`);
  console.log(`  GET /api/health        ${fmt(health)}`);
  console.log(`  GET /api/me (JWT+DB)   ${fmt(me)}`);
  console.log(
    `  ratio me/health        ${ratio.toFixed(2)}   ${results.check('throughput GET /api/me ÷ GET /api/health', ratio, '', '≥', 0.5)}`,
  );
  console.log(
    `  backend RSS peak       ${peakRss.toFixed(0)} MB   ${results.check('API resident memory, peak under load', peakRss, 'MB', '≤', 250)}`,
  );
  results.figure('GET /api/health', health);
  results.figure('GET /api/me', me);
  results.write();
} finally {
  await api.stop();
}
