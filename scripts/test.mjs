#!/usr/bin/env node
// Runs every test suite: type checks, lint (ESLint + Prettier), backend (API on a real
// PostgreSQL), frontend unit tests, the browser suite in real Chromium, and the HA drill on a
// Patroni cluster (infra/ha/). Prints one closing line with the totals.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-reports-'));
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const steps = [
  { name: 'backend types', cmd: ['npm', 'run', 'typecheck', '-w', 'backend'] },
  { name: 'frontend types', cmd: ['npm', 'run', 'check', '-w', 'frontend'] },
  { name: 'lint', cmd: ['npm', 'run', 'lint'] },
  { name: 'backend tests', vitest: 'backend', args: [] },
  { name: 'frontend unit tests', vitest: 'frontend', args: [] },
  { name: 'browser tests', vitest: 'frontend', args: ['--config', 'vitest.e2e.config.ts'], needsChromium: true },
  // A real Patroni cluster under load, with a failover and a killed API process (infra/ha/); it
  // installs its Debian packages when run as root and says which to install otherwise. One test.
  { name: 'HA drill', cmd: ['npm', 'run', 'test:ha'], oneTest: true },
];

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

for (const step of steps) {
  console.log(`\n=== ${step.name} ===`);
  if (step.needsChromium && !fs.existsSync(chromium)) {
    console.error(
      `Chromium not found at ${chromium}. Install it with: sudo apt-get update && sudo apt-get install -y chromium (or set CHROMIUM_PATH).`,
    );
    failures.push(step.name);
    failed += 1;
    continue;
  }
  let cmd = step.cmd;
  let report;
  if (step.vitest) {
    report = path.join(reports, `${step.name.replace(/\W+/g, '-')}.json`);
    cmd = ['npx', 'vitest', 'run', ...step.args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
  }
  const r = spawnSync(cmd[0], cmd.slice(1), {
    cwd: step.vitest ? path.join(root, step.vitest) : root,
    stdio: 'inherit',
    env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
  });
  if (report && fs.existsSync(report)) {
    const j = JSON.parse(fs.readFileSync(report, 'utf8'));
    passed += j.numPassedTests;
    failed += j.numFailedTests;
    // A file that fails to load fails no test but fails its suite: count it, never pass over it.
    const brokenFiles = (j.testResults ?? []).filter(
      (f) => f.status === 'failed' && (f.assertionResults ?? []).every((a) => a.status !== 'failed'),
    ).length;
    failed += brokenFiles;
    if (brokenFiles > 0 || j.success === false) failures.push(step.name);
    skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
    if (j.numTotalTests === 0) {
      console.error(`${step.name}: no tests ran.`);
      failures.push(step.name);
    }
  }
  if (r.status !== 0) {
    failures.push(step.name);
    if (!report) failed += 1;
  } else if (step.oneTest) passed += 1;
}

console.log('');
if (failures.length) console.log(`Failed steps: ${[...new Set(failures)].join(', ')}`);
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failures.length ? 1 : 0);
