import { Type, type Static } from '@sinclair/typebox';

const Rule = Type.String({ pattern: '^[a-z_]{1,60}$' });

/** `policies/retention.yaml`: when case content and concerns are erased, and what is kept. */
export const RetentionPolicy = Type.Object(
  {
    cases: Type.Object(
      {
        rule: Rule,
        basis: Type.String({ minLength: 1 }),
        statuses: Type.Array(Type.String(), { minItems: 1 }),
        eraseAfterYears: Type.Number(),
      },
      { additionalProperties: false },
    ),
    concerns: Type.Object(
      { rule: Rule, basis: Type.String({ minLength: 1 }), eraseAfterYears: Type.Number() },
      { additionalProperties: false },
    ),
    exceptions: Type.Array(
      Type.Object(
        {
          id: Rule,
          basis: Type.String({ minLength: 1 }),
          birthDays: Type.Array(Type.Integer({ minimum: 1, maximum: 31 }), { minItems: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
    batchSize: Type.Integer({ minimum: 1, maximum: 1000 }),
    schedule: Type.String({ minLength: 9 }),
    timezone: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);
export type RetentionPolicy = Static<typeof RetentionPolicy>;

/**
 * What the schema cannot say: nothing but a closed case is ever erased, and a period must be
 * positive (a period of zero or less would erase a case the moment it closes).
 */
export function retentionPolicyProblems(p: RetentionPolicy): string[] {
  const problems: string[] = [];
  for (const s of p.cases.statuses.filter((s) => s !== 'closed')) {
    problems.push(`/cases/statuses: '${s}' would erase open cases; only closed cases may be erased: list only 'closed'`);
  }
  if (!(p.cases.eraseAfterYears > 0)) {
    problems.push(
      '/cases/eraseAfterYears: must be more than 0 years (SoL 12 kap. 1 § says five); a shorter period would erase cases still in use',
    );
  }
  if (!(p.concerns.eraseAfterYears > 0)) problems.push('/concerns/eraseAfterYears: must be more than 0 years');
  if (p.concerns.rule === p.cases.rule) problems.push('/concerns/rule: must differ from /cases/rule so the report tells them apart');
  const ids = p.exceptions.map((e) => e.id);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) problems.push(`/exceptions: '${id}' is listed twice`);
  });
  return problems;
}

/** The facts of one record the decision needs: never its content. */
export interface RetentionFacts {
  kind: 'case' | 'concern';
  status: string;
  lastEntryAt: Date;
  /** YYYY-MM-DD */
  birthDate: string;
}

export type RetentionDecision = { erase: true; rule: string } | { erase: false; exception?: string };

/** The instant before which a last entry makes a record due. */
export function cutoffOf(years: number, now: Date): Date {
  const whole = Math.trunc(years);
  const d = new Date(now);
  d.setUTCFullYear(d.getUTCFullYear() - whole);
  return new Date(d.getTime() - (years - whole) * 365.25 * 86_400_000);
}

/** Is this record due, and under which rule; or which exception keeps it. */
export function decideRetention(p: RetentionPolicy, f: RetentionFacts, now: Date): RetentionDecision {
  const closed = f.kind === 'case' ? p.cases.statuses.includes(f.status) && f.status === 'closed' : f.status === 'closed';
  if (!closed) return { erase: false };
  const years = f.kind === 'case' ? p.cases.eraseAfterYears : p.concerns.eraseAfterYears;
  if (f.lastEntryAt.getTime() >= cutoffOf(years, now).getTime()) return { erase: false };
  const day = Number(f.birthDate.slice(8, 10));
  const kept = p.exceptions.find((e) => e.birthDays.includes(day));
  if (kept) return { erase: false, exception: kept.id };
  return { erase: true, rule: f.kind === 'case' ? p.cases.rule : p.concerns.rule };
}
