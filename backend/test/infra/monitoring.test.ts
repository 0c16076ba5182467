import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../src/config.js';
import { createTestApp, type TestContext } from '../helpers/app.js';

const dir = path.join(repoRoot, 'infra/monitoring');

interface Rule {
  alert: string;
  expr: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}
const rules = (YAML.parse(fs.readFileSync(path.join(dir, 'alerts.yaml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (g) => g.rules,
);
const dashboard = JSON.parse(fs.readFileSync(path.join(dir, 'grafana-dashboard.json'), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};
const prometheus = YAML.parse(fs.readFileSync(path.join(dir, 'prometheus.yml'), 'utf8')) as {
  rule_files: string[];
  scrape_configs: { job_name: string }[];
};

/** The metric names a PromQL expression reads (the product's, Node's and the process's, and Prometheus' own `up`). */
const metricsIn = (expr: string): string[] =>
  [...expr.matchAll(/\b(samverka_\w+|process_\w+|nodejs_\w+|up)\b(?=\s*[{[)]|\s|$)/g)].map((m) => m[1]!);

describe('infra/monitoring', () => {
  let t: TestContext;
  let exported: Set<string>;
  beforeAll(async () => {
    t = await createTestApp({}, { seed: false });
    // Prometheus' own series for every target it scrapes.
    exported = new Set(['up']);
    for (const m of await t.app.metrics.registry.getMetricsAsJSON()) {
      exported.add(m.name);
      // prom-client's types declare a numeric enum; at run time the type is its name.
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_count', '_sum']) exported.add(m.name + s);
      if (String(m.type) === 'summary') for (const s of ['_count', '_sum']) exported.add(m.name + s);
    }
  });
  afterAll(async () => t.close());

  it('alert rules cover API down, readiness, sequencer lag over 10 s, failed verification and the error rate', () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));
    expect(byName.get('SamverkaApiDown')?.expr).toContain('up{job="samverka-api"} == 0');
    expect(byName.get('SamverkaNotReady')?.expr).toContain('samverka_ready == 0');
    expect(byName.get('SamverkaAuditSequencerLag')?.expr).toMatch(/samverka_audit_sequencer_lag_seconds\) > 10$/);
    expect(byName.get('SamverkaAuditVerificationFailed')?.expr).toContain('samverka_audit_verification_ok == 0');
    expect(byName.get('SamverkaHighErrorRate')?.expr).toContain('status_code=~"5.."');
    for (const r of rules) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary.length, r.alert).toBeGreaterThan(0);
      expect(r.annotations.description.length, r.alert).toBeGreaterThan(0);
    }
    expect(prometheus.rule_files).toEqual(['alerts.yaml']);
    expect(prometheus.scrape_configs.map((s) => s.job_name)).toEqual(['samverka-api']);
  });

  it('every metric the rules and the dashboard use is one the API exports', () => {
    const used = [...rules.map((r) => r.expr), ...dashboard.panels.flatMap((p) => p.targets.map((x) => x.expr))];
    const names = new Set(used.flatMap(metricsIn));
    expect(names.size).toBeGreaterThan(10);
    for (const n of names) expect(exported, n).toContain(n);
    for (const p of dashboard.panels) expect(p.targets.length, p.title).toBeGreaterThan(0);
  });
});
