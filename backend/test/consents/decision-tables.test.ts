import fs from 'node:fs';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../src/config.js';
import type { GateConsent } from '../../src/modules/consents/gate.js';
import { loadPolicies } from '../../src/plugins/app/policies.js';
import { PolicyDecisionPoint } from '../../src/plugins/app/policy.js';

const Name = Type.String({ minLength: 1 });
const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Row = Type.Object(
  {
    case: Name,
    today: Type.Optional(IsoDate),
    at: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T' })),
    birthDate: Type.Union([IsoDate, Type.Null()]),
    guardians: Type.Array(Type.Object({ id: Name, custody: Type.Boolean() }, { additionalProperties: false })),
    consents: Type.Array(
      Type.Object(
        {
          id: Name,
          by: Name,
          agencies: Type.Array(Name),
          categories: Type.Array(Name),
          from: IsoDate,
          to: IsoDate,
          withdrawn: Type.Optional(Type.String({ pattern: 'T' })),
        },
        { additionalProperties: false },
      ),
    ),
    exchange: Type.Object({ from: Name, to: Name, category: Name }, { additionalProperties: false }),
    expect: Type.Object(
      {
        allow: Type.Boolean(),
        reason: Type.Union(
          ['own_agency', 'consent', 'no_consent', 'expired', 'withdrawn', 'no_required_party'].map((r) => Type.Literal(r)),
        ),
        reliesOn: Type.Optional(Type.Array(Name)),
        missing: Type.Optional(Type.Array(Name)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
const Table = Type.Object({ name: Name, rows: Type.Array(Row, { minItems: 1 }) }, { additionalProperties: false });
type Row = Static<typeof Row>;

const policiesDir = path.join(repoRoot, 'policies');
const file = path.join(policiesDir, 'decision-tables/consent-gate.yaml');
const table: unknown = YAML.parse(fs.readFileSync(file, 'utf8'));
const pdp = new PolicyDecisionPoint(loadPolicies(policiesDir));

/** A row's moment: its exact instant, or noon in Stockholm on its day. */
function instantOf(row: Row): Date {
  if (row.at) return new Date(row.at);
  if (row.today) return new Date(`${row.today}T12:00:00+01:00`);
  throw new Error(`${row.case}: give today or at`);
}

describe('decision table: consent gate (policies/decision-tables/consent-gate.yaml)', () => {
  it('is well-formed', () => {
    expect([...Value.Errors(Table, table)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
  });

  const rows = Value.Check(Table, table) ? table.rows : [];
  it.each(rows.map((r) => [r.case, r] as const))('%s', (_name, row) => {
    const consents: GateConsent[] = row.consents.map((c) => ({
      id: c.id,
      givenBy: c.by === 'subject' ? { kind: 'subject' } : { kind: 'guardian', guardianId: c.by },
      agencyIds: c.agencies,
      categories: c.categories,
      validFrom: c.from,
      validTo: c.to,
      withdrawnAt: c.withdrawn ? new Date(c.withdrawn) : null,
    }));
    const gate = pdp.consentGate({ subjectBirthDate: row.birthDate, guardians: row.guardians, consents, at: instantOf(row) });
    const d = gate.decide({ fromAgencyId: row.exchange.from, toAgencyId: row.exchange.to, category: row.exchange.category });
    expect({ allow: d.allow, reason: d.reason }).toEqual({ allow: row.expect.allow, reason: row.expect.reason });
    if (row.expect.reliesOn) expect([...d.consentIds].sort()).toEqual([...row.expect.reliesOn].sort());
    if (!d.allow) expect(d.consentIds).toEqual([]);
    if (row.expect.missing) {
      expect(d.missing.map((m) => (m.party.kind === 'subject' ? 'subject' : m.party.guardianId)).sort()).toEqual(
        [...row.expect.missing].sort(),
      );
    }
  });

  it('covers the boundaries the policy turns on', () => {
    const cases = rows.map((r) => r.case).join('\n');
    for (const words of [
      'day before the 15th birthday',
      'on the 15th birthday',
      'day before the 18th birthday',
      'on the 18th birthday',
      'one of two guardians',
      'without custody',
      'expired',
      'withdrawn',
      'wrong agency',
      'wrong category',
      'not yet in force',
      'no guardian with custody',
    ]) {
      expect(cases, words).toContain(words);
    }
  });
});
