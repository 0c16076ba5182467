import { Type, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const DatePattern = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

export const OverviewQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({ pattern: DatePattern, description: 'First day (YYYY-MM-DD); default: the first of the month 11 months before `to`' }),
    ),
    to: Type.Optional(
      Type.String({ pattern: DatePattern, description: 'Last day (YYYY-MM-DD), at most 5 years after `from`; default: today' }),
    ),
  },
  { additionalProperties: false },
);

const Count = Nullable(
  Type.Integer({
    minimum: 0,
    description: 'null: withheld, because it is below minCellSize or so that a withheld one cannot be worked out from totals',
  }),
);

const Row = Type.Object({
  area: Type.Optional(Nullable(Type.String({ description: 'null: people with protected identity, whose area is never shown' }))),
  type: Type.Optional(Type.String({ description: 'Case type' })),
  code: Type.Optional(Type.String({ description: 'Outcome code (policies/case-outcomes.yaml) or triage decision' })),
  cells: Type.Array(Count),
  total: Count,
});

export const FigureTable = Type.Object({
  columns: Type.Array(Type.String(), { description: 'Months (YYYY-MM), case types or triage decisions' }),
  rows: Type.Array(Row),
  columnTotals: Type.Array(Count),
  total: Count,
});

const Median = Type.Object({
  days: Nullable(Type.Number({ description: 'The median in days (one decimal); null when the count is withheld or zero' })),
  count: Count,
});

export const OverviewOut = Type.Object({
  from: Type.String(),
  to: Type.String(),
  minCellSize: Type.Integer(),
  months: Type.Array(Type.String()),
  newCases: FigureTable,
  closedCases: FigureTable,
  activeCases: FigureTable,
  outcomes: FigureTable,
  concerns: FigureTable,
  medians: Type.Object({ concernToCase: Median, caseToFirstPlan: Median }),
  outcomeLabels: Type.Record(Type.String(), Type.Object({ sv: Type.String(), en: Type.String() }), {
    description: 'The outcome codes of policies/case-outcomes.yaml, in Swedish and English',
  }),
});
