/** Anomaly rules (`policies/anomalies.yaml`) evaluated on the audit log. */
import { Type, type Static } from '@sinclair/typebox';

const Prefixes = Type.Array(Type.String({ pattern: '^[a-z_.]{1,60}$' }), { minItems: 1 });
const Time = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

export const AnomaliesPolicy = Type.Object(
  {
    timezone: Type.String({ minLength: 1, maxLength: 64 }),
    rules: Type.Object(
      {
        deniedBurst: Type.Object(
          {
            enabled: Type.Boolean(),
            windowMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
            minDenied: Type.Integer({ minimum: 2, maximum: 10_000 }),
          },
          { additionalProperties: false },
        ),
        noInvolvement: Type.Object(
          {
            enabled: Type.Boolean(),
            actionPrefixes: Prefixes,
            reasons: Type.Array(Type.String({ pattern: '^[a-z0-9_]{1,60}$' }), { minItems: 1 }),
          },
          { additionalProperties: false },
        ),
        offHours: Type.Object(
          {
            enabled: Type.Boolean(),
            start: Time,
            end: Time,
            weekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { uniqueItems: true }),
            actionPrefixes: Prefixes,
          },
          { additionalProperties: false },
        ),
        bulkRead: Type.Object(
          {
            enabled: Type.Boolean(),
            windowMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
            maxDistinctCases: Type.Integer({ minimum: 1, maximum: 100_000 }),
            actionPrefixes: Prefixes,
            outcomes: Type.Array(Type.Union([Type.Literal('allowed'), Type.Literal('denied'), Type.Literal('error')]), { minItems: 1 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type AnomaliesPolicy = Static<typeof AnomaliesPolicy>;

/** What the schema cannot say: the time zone exists, and off hours start before they end. */
export function anomaliesPolicyProblems(p: AnomaliesPolicy): string[] {
  const problems: string[] = [];
  try {
    new Intl.DateTimeFormat('en', { timeZone: p.timezone });
  } catch {
    problems.push('/timezone: unknown time zone');
  }
  if (p.rules.offHours.start >= p.rules.offHours.end) problems.push('/rules/offHours: start must be before end');
  return problems;
}

export type AnomalyRule = keyof AnomaliesPolicy['rules'];

export interface Anomaly {
  rule: AnomalyRule;
  actorId: string | null;
  actorName: string | null;
  agencyId: string | null;
  agencyName: string | null;
  caseId: string | null;
  from: string;
  to: string;
  count: number;
  /** Filters for GET /api/audit/events that list the events behind this anomaly. */
  filter: Record<string, string>;
}

export interface DeniedEvent {
  actorId: string | null;
  at: number;
}

/** Sliding-window bursts of denials per actor: one anomaly per run of overlapping windows. */
export function deniedBursts(
  events: DeniedEvent[],
  windowMinutes: number,
  minDenied: number,
): { actorId: string | null; from: number; to: number; count: number }[] {
  const byActor = new Map<string | null, number[]>();
  for (const e of events) {
    const list = byActor.get(e.actorId) ?? [];
    list.push(e.at);
    byActor.set(e.actorId, list);
  }
  const w = windowMinutes * 60_000;
  const out: { actorId: string | null; from: number; to: number; count: number }[] = [];
  for (const [actorId, times] of byActor) {
    times.sort((a, b) => a - b);
    let current: { from: number; to: number; first: number; last: number } | null = null;
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while (times[hi]! - times[lo]! > w) lo++;
      if (hi - lo + 1 >= minDenied) {
        if (current && times[lo]! <= current.to) {
          current.to = times[hi]!;
          current.last = hi;
        } else {
          if (current) out.push({ actorId, from: current.from, to: current.to, count: current.last - current.first + 1 });
          current = { from: times[lo]!, to: times[hi]!, first: lo, last: hi };
        }
      }
    }
    if (current) out.push({ actorId, from: current.from, to: current.to, count: current.last - current.first + 1 });
  }
  return out;
}
