import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { repoRoot } from '../../src/config.js';
import { AGENCY_KINDS, ROLES } from '../../src/modules/identity/identity.entities.js';
import { loadPolicies } from '../../src/plugins/app/policies.js';
import { readPolicyFile } from '../../src/plugins/app/policy-file.js';
import { PolicyDecisionPoint } from '../../src/plugins/app/policy.js';

const dir = path.join(repoRoot, 'policies');
const pdp = new PolicyDecisionPoint(loadPolicies(dir));
const lit = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));

const table = readPolicyFile(
  dir,
  'decision-tables/areas.yaml',
  Type.Object({
    name: Type.String(),
    rows: Type.Array(
      Type.Object(
        {
          role: lit(ROLES),
          agencyKind: lit(AGENCY_KINDS),
          worksInArea: Type.Boolean(),
          action: Type.String(),
          expect: lit(['allow', 'deny']),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  }),
);

describe(`decision table: ${table.name}`, () => {
  it.each(table.rows)('$role at a $agencyKind agency, works in the area: $worksInArea, $action → $expect', (row) => {
    const actor = { roles: [row.role as (typeof ROLES)[number]], agencyKind: row.agencyKind as (typeof AGENCY_KINDS)[number] };
    const agencyAreas = row.worksInArea ? ['Hulta', 'Norrby'] : ['Hulta'];
    expect(pdp.areaAccess(actor, row.action, { area: 'Norrby', agencyAreas }).allow).toBe(row.expect === 'allow');
  });
});
