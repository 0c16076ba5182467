import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { repoRoot } from '../../src/config.js';
import { AGENCY_KINDS, ROLES, type AgencyKind, type Role } from '../../src/modules/identity/identity.entities.js';
import { loadPolicies } from '../../src/plugins/app/policies.js';
import { readPolicyFile } from '../../src/plugins/app/policy-file.js';
import { CONSENT_REQUIRED, PolicyDecisionPoint } from '../../src/plugins/app/policy.js';

const dir = path.join(repoRoot, 'policies');
const pdp = new PolicyDecisionPoint(loadPolicies(dir));
const lit = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Expect = lit(['allow', 'deny']);

const caseAccess = readPolicyFile(
  dir,
  'decision-tables/case-access.yaml',
  Type.Object({
    name: Type.String(),
    rows: Type.Array(
      Type.Object(
        {
          role: lit(ROLES),
          agencyKind: lit(AGENCY_KINDS),
          owner: Type.Boolean(),
          action: Type.String(),
          expect: Expect,
          participant: Type.Optional(Type.Boolean()),
          identityConsent: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  }),
);

const categories = readPolicyFile(
  dir,
  'decision-tables/journal-categories.yaml',
  Type.Object({
    name: Type.String(),
    rows: Type.Array(
      Type.Object({ agencyKind: lit(AGENCY_KINDS), category: Type.String(), expect: Expect }, { additionalProperties: false }),
      { minItems: 1 },
    ),
  }),
);

describe(`decision table: ${caseAccess.name}`, () => {
  it.each(caseAccess.rows)('$role ($agencyKind, owner: $owner) $action → $expect', (row) => {
    const actor = { roles: [row.role as Role], agencyKind: row.agencyKind as AgencyKind, agencyId: 'agency-a' };
    const facts = { ownerAgencyId: row.owner ? 'agency-a' : 'agency-b', participantAgencyIds: row.participant ? ['agency-a'] : [] };
    let decision = pdp.caseAccess(actor, row.action, facts);
    if (decision.reason === CONSENT_REQUIRED) {
      // An adult subject who has (or has not) consented to identity crossing between the two agencies.
      const consents = row.identityConsent
        ? [
            {
              id: 'k1',
              givenBy: { kind: 'subject' as const },
              agencyIds: ['agency-a', 'agency-b'],
              categories: ['identity'],
              validFrom: '2000-01-01',
              validTo: '2999-12-31',
              withdrawnAt: null,
            },
          ]
        : [];
      decision = pdp.caseAccessThroughConsent(
        actor,
        row.action,
        facts,
        pdp.consentGate({ subjectBirthDate: '1990-01-01', guardians: [], consents, at: new Date() }),
      );
    }
    expect(decision.allow ? 'allow' : 'deny').toBe(row.expect);
  });
});

describe(`decision table: ${categories.name}`, () => {
  it.each(categories.rows)('$agencyKind writes $category → $expect', (row) => {
    expect(pdp.mayAuthorCategory({ agencyKind: row.agencyKind as AgencyKind }, row.category).allow ? 'allow' : 'deny').toBe(row.expect);
  });
});
