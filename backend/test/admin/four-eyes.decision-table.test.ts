import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../src/config.js';
import { AdministrationPolicy, decisionAllowed, planRoleChange } from '../../src/modules/admin/four-eyes.policy.js';
import type { Role } from '../../src/modules/identity/identity.entities.js';
import { readPolicyFile } from '../../src/plugins/app/policy-file.js';

const policiesDir = path.join(repoRoot, 'policies');

interface ChangeRow {
  before: Role[];
  requested: Role[];
  self: boolean;
  expect: 'refused' | { roles: Role[]; pending: Role[] | null };
}
interface DecideRow {
  actor: 'requester' | 'user' | 'other_admin';
  expect: 'allowed' | 'own_request' | 'own_roles';
}

const table = YAML.parse(fs.readFileSync(path.join(policiesDir, 'decision-tables/four-eyes.yaml'), 'utf8')) as {
  name: string;
  change: ChangeRow[];
  decide: DecideRow[];
};

describe(`decision table: ${table.name}`, () => {
  const policy = readPolicyFile(policiesDir, 'administration.yaml', AdministrationPolicy);

  it.each(table.change)('$before → $requested (self: $self) → $expect', (row) => {
    const plan = planRoleChange(policy, { actorId: 'a', userId: row.self ? 'a' : 'u', before: row.before, requested: row.requested });
    if (row.expect === 'refused') expect(plan).toEqual({ kind: 'refused', reason: 'own_roles' });
    else expect(plan).toEqual({ kind: 'apply', roles: row.expect.roles, pending: row.expect.pending });
  });

  it.each(table.decide)('decided by the $actor → $expect', (row) => {
    const actorId = { requester: 'r', user: 'u', other_admin: 'o' }[row.actor];
    expect(decisionAllowed({ requestedBy: 'r', userId: 'u' }, actorId)).toBe(row.expect);
  });
});
