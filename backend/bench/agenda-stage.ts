import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { backendDir } from './lib.js';
import { resultsDir, type TargetCheck } from './results.js';

/** What bench:cases keeps of a bench:agenda run: its results file's targets and figures. */
export interface AgendaStage {
  targets: TargetCheck[];
  figures: Record<string, unknown>;
}

/**
 * bench:agenda as a stage of bench:cases: the start page on its own 100,000-case database and
 * API, in a child process, so that nothing of the case bench's load stays in it. It writes its
 * own results file (`agenda.json`), which is read back here. BENCH_CONNECTIONS is the case
 * bench's: the stage takes BENCH_AGENDA_CONNECTIONS, or its own default.
 */
export async function runAgendaStage(): Promise<AgendaStage> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.BENCH_CONNECTIONS;
  if (process.env.BENCH_AGENDA_CONNECTIONS) env.BENCH_CONNECTIONS = process.env.BENCH_AGENDA_CONNECTIONS;
  const file = path.join(resultsDir, 'agenda.json');
  const before = fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0;
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/agenda.bench.ts'], { cwd: backendDir, env, stdio: 'inherit' });
    child.on('exit', (c) => resolve(c ?? 1));
  });
  if (code !== 0 || !fs.existsSync(file) || fs.statSync(file).mtimeMs === before)
    throw new Error(`bench:agenda failed (exit code ${code}): its figures are missing`);
  const { targets, figures } = JSON.parse(fs.readFileSync(file, 'utf8')) as AgendaStage;
  return { targets, figures };
}
