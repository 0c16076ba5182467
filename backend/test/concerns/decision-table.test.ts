import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../src/config.js';
import type { AgencyKind, Role } from '../../src/modules/identity/identity.entities.js';
import { loadPolicies } from '../../src/plugins/app/policies.js';
import { PolicyDecisionPoint } from '../../src/plugins/app/policy.js';

const policiesDir = path.join(repoRoot, 'policies');

interface Row {
  role: Role;
  agencyKind: AgencyKind;
  action: string;
  list?: boolean;
  reporter?: boolean;
  inArea?: boolean;
  expect: 'allow' | 'deny';
  view?: string;
}

const table = YAML.parse(fs.readFileSync(path.join(policiesDir, 'decision-tables/concerns.yaml'), 'utf8')) as { name: string; rows: Row[] };

describe(`decision table: ${table.name} (policies/decision-tables/concerns.yaml)`, () => {
  const pdp = new PolicyDecisionPoint(loadPolicies(policiesDir));
  const actorId = 'a0000000-0000-4000-8000-000000000001';
  it.each(table.rows)('$role at a $agencyKind agency: $action (reporter $reporter, in area $inArea) → $expect $view', (row) => {
    const actor = { id: actorId, roles: [row.role], agencyKind: row.agencyKind, areas: ['Norrby'] };
    const facts = row.list
      ? null
      : { reporterUserId: row.reporter ? actorId : 'b0000000-0000-4000-8000-000000000002', area: row.inArea ? 'Norrby' : 'Hulta' };
    const d = pdp.concernAccess(actor, row.action, facts);
    expect(d.allow).toBe(row.expect === 'allow');
    if (row.view) expect(d.reason).toBe(row.view);
  });
});

describe('the views of policies/concerns.yaml', () => {
  const pdp = new PolicyDecisionPoint(loadPolicies(policiesDir));
  const full = {
    id: 'x',
    reference: 'ORO-2026-0001',
    status: 'received',
    area: 'Norrby',
    person: { birthDate: '2011-01-01' },
    marker: { hasCase: true },
  };
  it('gives the reporter the reference and status, never the marker or the person', () => {
    expect(pdp.shapeConcern('reporter', full, false)).toEqual({ id: 'x', reference: 'ORO-2026-0001', status: 'received' });
  });
  it("withholds a protected person's area outside the intake", () => {
    expect(pdp.shapeConcern('coordinator', full, true)).not.toHaveProperty('area');
    expect(pdp.shapeConcern('coordinator', full, false)).toHaveProperty('area', 'Norrby');
    expect(pdp.shapeConcern('intake', full, true)).toHaveProperty('area', 'Norrby');
  });
});
