import { Type, type Static } from '@sinclair/typebox';

/** A party whose consent the gate requires: the subject, or every guardian who has custody. */
export const REQUIRED_PARTY_KINDS = ['subject', 'custodialGuardians'] as const;
export type RequiredPartyKind = (typeof REQUIRED_PARTY_KINDS)[number];

/** `policies/consent.yaml`, checked at start. */
export const ConsentPolicy = Type.Object(
  {
    requiredParties: Type.Array(
      Type.Object(
        {
          fromAge: Type.Integer({ minimum: 0, maximum: 130 }),
          parties: Type.Array(Type.Union(REQUIRED_PARTY_KINDS.map((k) => Type.Literal(k))), { minItems: 1, uniqueItems: true }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    maxValidityMonths: Type.Integer({ minimum: 1, maximum: 120 }),
    reminderLeadDays: Type.Integer({ minimum: 0, maximum: 365 }),
  },
  { additionalProperties: false },
);
export type ConsentPolicy = Static<typeof ConsentPolicy>;

/** What the schema cannot say: the age rows start at 0 and rise strictly, so every age has one. */
export function consentPolicyProblems(p: ConsentPolicy): string[] {
  const problems: string[] = [];
  if (p.requiredParties[0]?.fromAge !== 0) problems.push('/requiredParties/0/fromAge: the first row must start at age 0');
  p.requiredParties.forEach((row, i) => {
    const prev = p.requiredParties[i - 1];
    if (prev && row.fromAge <= prev.fromAge) problems.push(`/requiredParties/${i}/fromAge: must be greater than the row before`);
  });
  return problems;
}
