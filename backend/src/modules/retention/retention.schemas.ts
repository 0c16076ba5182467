import { Type, type Static } from '@sinclair/typebox';

const Kind = Type.Union([Type.Literal('case'), Type.Literal('concern')]);

export const RetentionQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) },
  { additionalProperties: false },
);

/** The auditor's retention report: counts, rules and ids; never content. */
export const RetentionReport = Type.Object(
  {
    generatedAt: Type.String({ format: 'date-time' }),
    policy: Type.Object({
      cases: Type.Object({ rule: Type.String(), basis: Type.String(), eraseAfterYears: Type.Number() }),
      concerns: Type.Object({ rule: Type.String(), basis: Type.String(), eraseAfterYears: Type.Number() }),
      exceptions: Type.Array(Type.Object({ id: Type.String(), basis: Type.String(), birthDays: Type.Array(Type.Integer()) })),
      schedule: Type.String(),
      timezone: Type.String(),
    }),
    due: Type.Array(Type.Object({ kind: Kind, rule: Type.String(), count: Type.Integer() })),
    kept: Type.Array(Type.Object({ kind: Kind, exception: Type.String(), count: Type.Integer() })),
    erasedTotals: Type.Array(Type.Object({ kind: Kind, rule: Type.String(), count: Type.Integer() })),
    erased: Type.Array(
      Type.Object({
        kind: Kind,
        id: Type.String({ format: 'uuid' }),
        reference: Type.Union([Type.String(), Type.Null()]),
        rule: Type.String(),
        lastEntryAt: Type.String({ format: 'date-time' }),
        erasedAt: Type.String({ format: 'date-time' }),
        subjectErased: Type.Boolean(),
      }),
    ),
  },
  { additionalProperties: false },
);
export type RetentionReport = Static<typeof RetentionReport>;
