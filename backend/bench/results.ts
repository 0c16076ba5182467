import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backendDir, machineSpeed } from './lib.js';

// Figures to two decimals: further digits are noise on a shared machine.
const twoDecimals = (_key: string, value: unknown): unknown =>
  typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(2)) : value;

/**
 * Where each bench leaves its latest figures: `backend/bench/results/<name>.json`, in git.
 * BENCH_RESULTS_DIR elsewhere for a trial run with small sizes.
 */
export const resultsDir = path.resolve(process.env.BENCH_RESULTS_DIR ?? path.join(backendDir, 'bench', 'results'));

export interface TargetCheck {
  what: string;
  value: number;
  unit: string;
  target: string;
  ok: boolean;
}

/**
 * The figures of one bench run, written to its results file when the run completes (and still
 * printed by the bench as it goes). A run that fails writes nothing, so the file always holds the
 * last complete run.
 */
export class BenchResults {
  readonly date = new Date();
  readonly speedAtStart = machineSpeed();
  private readonly figures: Record<string, unknown> = {};
  private readonly targets: TargetCheck[] = [];

  constructor(
    /** `auth`, `cases`, …: the file name and `npm run bench:<name>`. */
    readonly name: string,
    /** What ran against what, in one sentence (sizes, connections, durations). */
    readonly setup: string,
  ) {}

  figure(key: string, value: unknown): void {
    this.figures[key] = value;
  }

  /** Records a figure against its target; returns the printed `(target ≥ 0.50)  OK` part. */
  check(what: string, value: number, unit: string, op: '≥' | '≤', target: number): string {
    const ok = op === '≥' ? value >= target : value <= target;
    const targetText = `${op} ${target.toLocaleString('en')}${unit === '×' ? unit : unit ? ` ${unit}` : ''}`;
    this.targets.push({ what, value, unit, target: targetText, ok });
    return `(target ${targetText})  ${ok ? 'OK' : op === '≥' ? 'BELOW TARGET' : 'ABOVE TARGET'}`;
  }

  /** Writes the results file and returns its path relative to the repository. */
  write(): string {
    const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: backendDir, encoding: 'utf8' }).stdout?.trim() || null;
    const file = path.join(resultsDir, `${this.name}.json`);
    const body = {
      command: `npm run bench:${this.name}`,
      date: this.date.toISOString(),
      commit,
      machine: {
        cores: os.cpus().length,
        node: process.version,
        loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
        // bench/lib.ts machineSpeed (higher is faster): figures from runs on a slower moment compare badly.
        speed: { start: Math.round(this.speedAtStart), end: Math.round(machineSpeed()) },
      },
      setup: this.setup,
      units: 'throughput (rps) in requests/s, latencies (p50, p95, p99) in ms, unless a figure says otherwise',
      targets: this.targets,
      figures: this.figures,
    };
    fs.mkdirSync(resultsDir, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(body, twoDecimals, 2)}\n`);
    const relative = path.relative(path.resolve(backendDir, '..'), file);
    console.log(`  results written to ${relative}`);
    return relative;
  }
}
