import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../src/config.js';
import type { Role } from '../../src/modules/identity/identity.entities.js';
import { passwordProblem } from '../../src/modules/identity/password-policy.js';
import { secondFactorStep, type SecondFactorStep } from '../../src/modules/identity/second-factor.policy.js';
import { loadPolicies } from '../../src/plugins/app/policies.js';

const policiesDir = path.join(repoRoot, 'policies');
const table = YAML.parse(fs.readFileSync(path.join(policiesDir, 'decision-tables/second-factor.yaml'), 'utf8')) as {
  name: string;
  rows: { roles: Role[]; exempt: boolean; enrolled: boolean; expect: SecondFactorStep }[];
};

describe(`decision table: ${table.name}`, () => {
  const policy = loadPolicies(policiesDir).authentication;
  it.each(table.rows)('$roles, exempt $exempt, enrolled $enrolled → $expect', (row) => {
    expect(secondFactorStep(policy, { roles: row.roles, mfaExempt: row.exempt, enrolled: row.enrolled })).toBe(row.expect);
  });

  it('a role left out of the policy signs in without a second factor, unless one is enrolled', () => {
    const policy = { secondFactor: { requiredForRoles: ['admin' as const] } };
    expect(secondFactorStep(policy, { roles: ['partner'], mfaExempt: false, enrolled: false })).toBe('none');
    expect(secondFactorStep(policy, { roles: ['partner'], mfaExempt: false, enrolled: true })).toBe('verify');
    expect(secondFactorStep(policy, { roles: ['partner', 'admin'], mfaExempt: false, enrolled: false })).toBe('enrol');
  });
});

describe('password rules', () => {
  it.each([
    ['short-pass1', 'password_too_short'],
    ['password1234', 'password_common'],
    ['qwertyuiopasdf', 'password_common'],
    ['Password1234', 'password_common'],
    ['anna.berg-was-here', 'password_contains_username'],
    ['x'.repeat(257), 'password_too_long'],
    ['tre gröna äpplen i en skål', null],
    ['sommar-regn-2026!', null],
  ])('%s → %s', (password, problem) => {
    expect(passwordProblem(password, 'anna.berg')).toBe(problem);
  });
});
