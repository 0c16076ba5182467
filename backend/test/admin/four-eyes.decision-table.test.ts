import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../src/config.js';
import { AdministrationPolicy, decisionAllowed, planAgencyMove, planRoleChange } from '../../src/modules/admin/four-eyes.policy.js';
import type { Role } from '../../src/modules/identity/identity.entities.js';
import { PolicyError, readPolicyFile } from '../../src/plugins/app/policy-file.js';

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

interface MoveRow {
  before: string;
  requested: string;
  agencyMoves?: boolean;
  expect: 'pending' | 'at_once' | 'unchanged';
}

const table = YAML.parse(fs.readFileSync(path.join(policiesDir, 'decision-tables/four-eyes.yaml'), 'utf8')) as {
  name: string;
  change: ChangeRow[];
  decide: DecideRow[];
  move: MoveRow[];
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

  it('the policy file asks for four eyes on agency moves; a malformed switch is refused at start', () => {
    expect(policy.fourEyes.agencyMoves).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'four-eyes-'));
    fs.writeFileSync(path.join(dir, 'administration.yaml'), 'fourEyes:\n  privilegedRoles: [admin]\n  agencyMoves: sometimes\n');
    expect(() => readPolicyFile(dir, 'administration.yaml', AdministrationPolicy)).toThrow(PolicyError);
    fs.rmSync(dir, { recursive: true });
  });

  it.each(table.move)('move $before → $requested (agencyMoves: $agencyMoves) → $expect', (row) => {
    const fourEyes = row.agencyMoves === undefined ? { privilegedRoles: [] } : { privilegedRoles: [], agencyMoves: row.agencyMoves };
    expect(planAgencyMove({ fourEyes }, { before: row.before, requested: row.requested })).toBe(row.expect);
  });
});
