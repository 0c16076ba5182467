import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../src/config.js';
import { decideRetention } from '../../src/modules/retention/retention.policy.js';
import { loadPolicies } from '../../src/plugins/app/policies.js';
import { PolicyError } from '../../src/plugins/app/policy-file.js';

const policiesDir = path.join(repoRoot, 'policies');

interface Row {
  kind: 'case' | 'concern';
  status: string;
  yearsSinceLastEntry: number;
  birthDay: number;
  expect: 'erase' | 'keep';
  rule?: string;
  exception?: string;
}

const table = YAML.parse(fs.readFileSync(path.join(policiesDir, 'decision-tables/retention.yaml'), 'utf8')) as {
  name: string;
  rows: Row[];
};

describe(`decision table: ${table.name}`, () => {
  const policy = loadPolicies(policiesDir).retention;
  const now = new Date('2026-12-05T02:00:00Z');
  it.each(table.rows)('$kind $status, $yearsSinceLastEntry years, born on the $birthDay → $expect', (row) => {
    const lastEntryAt = new Date(now.getTime() - row.yearsSinceLastEntry * 365.25 * 86_400_000);
    const birthDate = `2001-03-${String(row.birthDay).padStart(2, '0')}`;
    const d = decideRetention(policy, { kind: row.kind, status: row.status, lastEntryAt, birthDate }, now);
    expect(d.erase).toBe(row.expect === 'erase');
    if (d.erase) expect(d.rule).toBe(row.rule);
    else expect(d.exception).toBe(row.exception);
  });
});

describe('policies/retention.yaml at start', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  /** A copy of policies/ with retention.yaml changed. */
  function withRetention(change: (p: Record<string, Record<string, unknown>>) => void): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-retention-'));
    dirs.push(dir);
    fs.cpSync(policiesDir, dir, { recursive: true });
    const p = YAML.parse(fs.readFileSync(path.join(dir, 'retention.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
    change(p);
    fs.writeFileSync(path.join(dir, 'retention.yaml'), YAML.stringify(p));
    return dir;
  }

  it('refuses a rule on open cases, naming the file and the problem', () => {
    const dir = withRetention((p) => {
      p.cases!.statuses = ['closed', 'open'];
    });
    expect(() => loadPolicies(dir)).toThrow(PolicyError);
    expect(() => loadPolicies(dir)).toThrow(/policies\/retention\.yaml is invalid[\s\S]*'open' would erase open cases/);
  });

  it('refuses a period of zero or less', () => {
    for (const years of [0, -1]) {
      const dir = withRetention((p) => {
        p.cases!.eraseAfterYears = years;
      });
      expect(() => loadPolicies(dir)).toThrow(/\/cases\/eraseAfterYears: must be more than 0 years/);
    }
  });

  it('refuses an unknown field and a birth day that does not exist', () => {
    const dir = withRetention((p) => {
      (p.exceptions as unknown as { birthDays: number[] }[])[0]!.birthDays = [32];
    });
    expect(() => loadPolicies(dir)).toThrow(/retention\.yaml is invalid[\s\S]*birthDays/);
    const extra = withRetention((p) => {
      p.cases!.eraseOpen = true;
    });
    expect(() => loadPolicies(extra)).toThrow(/retention\.yaml is invalid/);
  });

  it('the default follows SoL 12 kap. 1 § and socialtjänstförordningen 7 kap. 2 §', () => {
    const p = loadPolicies(policiesDir).retention;
    expect(p.cases).toMatchObject({ eraseAfterYears: 5, statuses: ['closed'] });
    expect(p.exceptions).toEqual([expect.objectContaining({ id: 'research_birth_days', birthDays: [5, 15, 25] })]);
  });
});
