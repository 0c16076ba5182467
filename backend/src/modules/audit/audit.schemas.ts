import { Type, type Static } from '@sinclair/typebox';
import { SECRECY_DECISIONS, SECRECY_REASON_CODES } from './audit.extract.js';

export { errorResponses } from '../identity/identity.schemas.js';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const NStr = Nullable(Type.String());
const DateTime = Type.String({ format: 'date-time' });
const Outcome = Type.Union([Type.Literal('allowed'), Type.Literal('denied'), Type.Literal('error')]);

export const EventFilter = {
  subjectId: Type.Optional(Uuid),
  caseId: Type.Optional(Uuid),
  actorId: Type.Optional(Uuid),
  agencyId: Type.Optional(Uuid),
  action: Type.Optional(Type.String({ pattern: '^[a-z_]+(\\.[a-z_]+)*$', maxLength: 80 })),
  outcome: Type.Optional(Outcome),
  from: Type.Optional(DateTime),
  to: Type.Optional(DateTime),
};

const Seq = (description: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });

export const EventsQuery = Type.Object(
  {
    ...EventFilter,
    page: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 1,
      description:
        'Page by offset, newest first, including events not yet sequenced. Shifts while events are written: walk with `before`/`after` instead.',
    }),
    pageSize: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    before: Type.Optional(
      Seq(
        'Keyset page: the sequenced events with `seq` below this, newest first. Start with `head + 1` of any answer; continue with `nextBefore`. Stable while events are written.',
      ),
    ),
    after: Type.Optional(
      Seq(
        'Keyset page: the sequenced events with `seq` above this, oldest first (0: from the start). Continue with `nextAfter`. Stable while events are written.',
      ),
    ),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;
export const CsvQuery = Type.Object(EventFilter, { additionalProperties: false });
export type EventFilter = Static<typeof CsvQuery>;

export const EventOut = Type.Object({
  seq: Type.Union([Type.Integer(), Type.Null()]),
  sequenced: Type.Boolean(),
  eventId: Type.String(),
  occurredAt: Type.String(),
  actorId: NStr,
  actorName: NStr,
  agencyId: NStr,
  agencyName: NStr,
  actorRole: NStr,
  action: Type.String(),
  resourceType: Type.String(),
  resourceId: NStr,
  caseId: NStr,
  subjectId: NStr,
  outcome: Outcome,
  reason: NStr,
  consentIds: Type.Array(Type.String()),
  requestId: NStr,
  clientIp: NStr,
});
export type EventOut = Static<typeof EventOut>;

export const EventsPage = Type.Object({
  items: Type.Array(EventOut),
  total: Type.Integer(),
  /** False when `total` is a lower bound (counting stops at a cap on very broad filters). */
  totalExact: Type.Boolean(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  /** The highest sequence number in the log when the page was read (0: none yet). */
  head: Type.Integer(),
  /** The `before` of the next older keyset page; null when there is none. */
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
  /** The `after` of the next keyset page (after `after` pages): poll it again for newer events. Null for other pages. */
  nextAfter: Type.Union([Type.Integer(), Type.Null()]),
});

export const CheckpointOut = Type.Object({
  treeSize: Type.Integer(),
  rootHash: Type.String(),
  chainHash: Type.String(),
  signedAt: Type.String(),
  keyId: Type.String(),
  signature: Type.String(),
});

export const VerifyOut = Type.Object({
  ok: Type.Boolean(),
  size: Type.Integer(),
  firstBadSeq: Type.Optional(Type.Integer()),
  verifiedUpTo: Type.Integer(),
  problem: Type.Optional(Type.String()),
  checkpointsVerified: Type.Integer(),
  lastCheckpoint: Type.Union([CheckpointOut, Type.Null()]),
  /** `full`: every event recomputed by this call; `incremental`: the events new since this process last verified, plus anchors and a sample. */
  mode: Type.Union([Type.Literal('full'), Type.Literal('incremental')]),
  /** Events whose leaf hash this call recomputed from their fields (tail + sample, or all). */
  recomputed: Type.Integer(),
  /** Events of the already verified prefix spot-checked by this call (incremental only). */
  sampled: Type.Integer(),
  verifiedAt: Type.String({ format: 'date-time' }),
  /** The last run in this process that recomputed every event. */
  lastFullRun: Type.Union([
    Type.Object({
      at: Type.String({ format: 'date-time' }),
      ok: Type.Boolean(),
      size: Type.Integer(),
      firstBadSeq: Type.Optional(Type.Integer()),
      durationMs: Type.Number(),
    }),
    Type.Null(),
  ]),
  durationMs: Type.Number(),
  eventsPerSecond: Type.Number(),
});

export const VerifyQuery = Type.Object(
  { full: Type.Boolean({ default: false, description: 'Recompute every event now instead of the incremental check' }) },
  { additionalProperties: false },
);

export const CheckpointsQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) },
  { additionalProperties: false },
);
export const CheckpointsOut = Type.Object({ items: Type.Array(CheckpointOut), publicKey: Type.String(), keyId: Type.String() });

export const PublicKeyOut = Type.Object({
  alg: Type.Literal('Ed25519'),
  keyId: Type.String(),
  publicKey: Type.String(),
  pem: Type.String(),
});

export const SubjectParams = Type.Object({ id: Uuid }, { additionalProperties: false });

const LogEventOut = Type.Object({
  seq: Type.Integer(),
  eventId: Type.String(),
  occurredAt: Type.String(),
  actorId: NStr,
  actorAgencyId: NStr,
  actorRole: NStr,
  action: Type.String(),
  resourceType: Type.String(),
  resourceId: NStr,
  caseId: NStr,
  subjectId: NStr,
  outcome: Outcome,
  reason: NStr,
  consentIds: Type.Array(Type.String()),
  requestId: NStr,
  clientIp: NStr,
});

export const SecrecyReviewOut = Type.Object({
  id: Uuid,
  subjectId: Uuid,
  decision: Type.Union(SECRECY_DECISIONS.map((d) => Type.Literal(d))),
  reasonCode: Type.Union(SECRECY_REASON_CODES.map((c) => Type.Literal(c))),
  reviewedBy: Uuid,
  reviewedAt: Type.String({ format: 'date-time' }),
});

export const ExtractOut = Type.Object({
  format: Type.Literal('samverka-audit-extract/v1'),
  subjectId: Type.String(),
  generatedAt: Type.String(),
  publicKey: PublicKeyOut,
  checkpoint: Type.Union([CheckpointOut, Type.Null()]),
  events: Type.Array(
    Type.Composite([
      LogEventOut,
      Type.Object({
        leafIndex: Type.Integer(),
        leafHash: Type.String(),
        inclusionProof: Type.Union([Type.Array(Type.String()), Type.Null()]),
        actorName: NStr,
        agencyName: NStr,
      }),
    ]),
  ),
  /** Events of this subject recorded but not yet sequenced (they appear in the next extract). */
  unsequenced: Type.Integer(),
  /** The extract holds at most `limit` events (the oldest first); `truncated`: the subject has more. */
  truncated: Type.Boolean(),
  limit: Type.Integer(),
  /** The person has a protected identity: the extract is marked, and who accessed is held back until a secrecy review releases it. */
  protectedIdentity: Type.Boolean(),
  /** Agency and actor ids and names are left out of every event (null). */
  agenciesHeldBack: Type.Boolean(),
  secrecyReview: Type.Union([SecrecyReviewOut, Type.Null()]),
});

export const SecrecyReviewBody = Type.Object(
  {
    decision: Type.Union(
      SECRECY_DECISIONS.map((d) => Type.Literal(d)),
      { description: '`release`: the extract names the agencies; `withhold`: it keeps holding them back' },
    ),
    reasonCode: Type.Union(SECRECY_REASON_CODES.map((c) => Type.Literal(c))),
  },
  { additionalProperties: false },
);

export const SubjectLookupBody = Type.Object(
  {
    personalIdentityNumber: Type.String({
      minLength: 10,
      maxLength: 13,
      description: 'Any accepted form: YYYYMMDD-NNNC, YYYYMMDDNNNC, YYMMDD-NNNC, YYMMDDNNNC (or + for 100 years or older)',
    }),
  },
  { additionalProperties: false },
);
export const SubjectLookupOut = Type.Object({
  /** The person's subject ids (one per agency that registered the person); no names. */
  subjects: Type.Array(Type.Object({ id: Type.String({ format: 'uuid' }) })),
});

export const AgenciesOut = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      kind: Type.Union(['school', 'social_services', 'police', 'leisure', 'other'].map((k) => Type.Literal(k))),
    }),
  ),
});
export const ActorsOut = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      displayName: Type.String(),
      agencyId: Type.String(),
      agencyName: Type.String(),
      active: Type.Boolean(),
    }),
  ),
});
export const ActionsOut = Type.Object({
  /** Action codes present in the log and those the service is known to record, sorted. */
  items: Type.Array(Type.String()),
});

export const TimelineQuery = Type.Object(
  {
    from: DateTime,
    to: DateTime,
    bucket: Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'day' }),
    agencyId: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type TimelineQuery = Static<typeof TimelineQuery>;
export const TimelineOut = Type.Object({
  bucket: Type.String(),
  timezone: Type.String(),
  from: Type.String(),
  to: Type.String(),
  points: Type.Array(
    Type.Object({
      at: Type.String(),
      agencyId: NStr,
      agencyName: NStr,
      allowed: Type.Integer(),
      denied: Type.Integer(),
      error: Type.Integer(),
    }),
  ),
});

export const AnomaliesQuery = Type.Object({ from: Type.Optional(DateTime), to: Type.Optional(DateTime) }, { additionalProperties: false });
export const AnomalyOut = Type.Object({
  rule: Type.Union([Type.Literal('deniedBurst'), Type.Literal('noInvolvement'), Type.Literal('offHours'), Type.Literal('bulkRead')]),
  actorId: NStr,
  actorName: NStr,
  agencyId: NStr,
  agencyName: NStr,
  caseId: NStr,
  from: Type.String(),
  to: Type.String(),
  count: Type.Integer(),
  /** The event search filter (GET /audit/events query) that lists the anomaly's events. */
  filter: Type.Record(Type.String(), Type.String()),
});
export const AnomaliesOut = Type.Object({ from: Type.String(), to: Type.String(), timezone: Type.String(), items: Type.Array(AnomalyOut) });

const Day = (description: string) => Type.String({ format: 'date', description });

export const ExtractGroupsQuery = Type.Object(
  {
    page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
    pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Groups per page' }),
    groupRows: Type.Integer({ minimum: 0, maximum: 100, default: 20, description: 'The newest events given per group' }),
    from: Type.Optional(Day('First day (Europe/Stockholm), inclusive')),
    to: Type.Optional(Day('Last day (Europe/Stockholm), inclusive')),
    agencyId: Type.Optional(Uuid),
    category: Type.Optional(
      Type.String({ pattern: '^[a-z_]+(\\.[a-z_]+)*$', maxLength: 80, description: 'An action code: the category of a log event' }),
    ),
    ownReads: Type.Union([Type.Literal('show'), Type.Literal('hide')], {
      default: 'show',
      description: "The case's own caseworker's reads of it: `show` (in groups of their own) or `hide`",
    }),
  },
  { additionalProperties: false },
);
export type ExtractGroupsQuery = Static<typeof ExtractGroupsQuery>;

export const ExtractGroupOut = Type.Object({
  day: Type.String({ format: 'date' }),
  agencyId: NStr,
  agencyName: NStr,
  /** The action code of the group's events. */
  category: Type.String(),
  /** The group is the case's own caseworker reading it (`actorId`, `actorName`: who). */
  ownReads: Type.Boolean(),
  actorId: NStr,
  actorName: NStr,
  count: Type.Integer({ minimum: 1 }),
  /** The newest events of the group, at most `groupRows`; client addresses are left out. */
  items: Type.Array(EventOut),
});

export const ExtractGroupsOut = Type.Object({
  subjectId: Uuid,
  timezone: Type.String(),
  groups: Type.Array(ExtractGroupOut),
  total: Type.Integer(),
  totalEvents: Type.Integer(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  protectedIdentity: Type.Boolean(),
  agenciesHeldBack: Type.Boolean(),
  secrecyReview: Type.Union([SecrecyReviewOut, Type.Null()]),
});
