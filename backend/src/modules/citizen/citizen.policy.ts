import { Type, type Static } from '@sinclair/typebox';

/** `policies/citizen.yaml`: who may use the person's own view, and for how long. */
export const CitizenPolicy = Type.Object(
  {
    subjectFromAge: Type.Integer({ minimum: 0, maximum: 18 }),
    guardianUntilAge: Type.Integer({ minimum: 1, maximum: 18 }),
    sessionMinutes: Type.Integer({ minimum: 5, maximum: 120 }),
    signatureFreshMinutes: Type.Integer({ minimum: 1, maximum: 60 }),
    requestValidDays: Type.Integer({ minimum: 1, maximum: 365 }),
    requestMaxValidDays: Type.Integer({ minimum: 1, maximum: 365 }),
  },
  { additionalProperties: false },
);
export type CitizenPolicy = Static<typeof CitizenPolicy>;

/** What the schema cannot say. */
export function citizenPolicyProblems(p: CitizenPolicy): string[] {
  const problems: string[] = [];
  if (p.requestValidDays > p.requestMaxValidDays) problems.push('/requestValidDays: must not exceed requestMaxValidDays');
  if (p.signatureFreshMinutes > p.sessionMinutes) problems.push('/signatureFreshMinutes: must not exceed sessionMinutes');
  return problems;
}
