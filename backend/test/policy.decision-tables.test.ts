import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../src/config.js';
import type { AgencyKind, Role } from '../src/modules/identity/identity.entities.js';
import { loadPolicies, RolesPolicy } from '../src/plugins/app/policies.js';
import { PolicyError, readPolicyFile } from '../src/plugins/app/policy-file.js';
import { PolicyDecisionPoint } from '../src/plugins/app/policy.js';

const policiesDir = path.join(repoRoot, 'policies');

interface RoleRow {
  role: Role;
  agencyKind: AgencyKind;
  action: string;
  expect: 'allow' | 'deny';
}

const table = YAML.parse(fs.readFileSync(path.join(policiesDir, 'decision-tables/roles.yaml'), 'utf8')) as {
  name: string;
  rows: RoleRow[];
};

describe(`decision table: ${table.name}`, () => {
  const pdp = new PolicyDecisionPoint(loadPolicies(policiesDir));
  it.each(table.rows)('$role at a $agencyKind agency: $action → $expect', (row) => {
    expect(pdp.roleAllows({ roles: [row.role], agencyKind: row.agencyKind }, row.action).allow).toBe(row.expect === 'allow');
  });
});

describe('policy files', () => {
  it('every action in roles.yaml is used by the backend, and every action the backend asks for is listed', () => {
    const roles = readPolicyFile(policiesDir, 'roles.yaml', RolesPolicy);
    const sources: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) sources.push(fs.readFileSync(p, 'utf8'));
      }
    };
    walk(path.join(repoRoot, 'backend/src'));
    const code = sources.join('\n');
    const unused = Object.keys(roles.actions).filter((a) => !code.includes(`'${a}'`));
    expect(unused).toEqual([]);
  });

  it('refuses to start on an invalid policy file, naming the file and the problem', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samverka-policy-'));
    try {
      fs.writeFileSync(path.join(dir, 'roles.yaml'), 'actions:\n  case.read:\n    - role: superuser\n');
      expect(() => readPolicyFile(dir, 'roles.yaml', RolesPolicy)).toThrow(PolicyError);
      expect(() => readPolicyFile(dir, 'roles.yaml', RolesPolicy)).toThrow(/policies\/roles\.yaml is invalid/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
