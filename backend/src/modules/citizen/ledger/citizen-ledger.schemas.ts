import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CheckpointOut, PublicKeyOut } from '../../audit/audit.schemas.js';
import { SECRECY_DECISIONS, SECRECY_REASON_CODES } from '../../audit/audit.extract.js';
import { Uuid } from '../../identity/identity.schemas.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const NStr = Nullable(Type.String());
const DateOnly = Type.String({ format: 'date' });

export const CitizenDisclosuresQuery = Type.Object(
  {
    subjectId: Uuid,
    /** Days strictly before this one (the previous page's `nextBefore`). */
    before: Type.Optional(DateOnly),
    /** How many days (each with all its agencies and categories). */
    limit: Type.Integer({ minimum: 1, maximum: 366, default: 30 }),
  },
  { additionalProperties: false },
);
export type CitizenDisclosuresQuery = Static<typeof CitizenDisclosuresQuery>;

export const CitizenDisclosureDayOut = Type.Object(
  {
    /** The day on the Stockholm calendar. */
    date: DateOnly,
    agencyId: Uuid,
    agencyName: Type.String(),
    category: Type.String(),
    categoryLabel: Type.String(),
    count: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

export const CitizenDisclosuresOut = Type.Object(
  {
    days: Type.Array(CitizenDisclosureDayOut),
    /** Ask again with `before` = this day for older days; null when there are none. */
    nextBefore: Nullable(DateOnly),
  },
  { additionalProperties: false },
);
export type CitizenDisclosuresOut = Static<typeof CitizenDisclosuresOut>;

export const CitizenExtractQuery = Type.Object({ subjectId: Uuid }, { additionalProperties: false });

/** Fields of an event left out of the person's copy: staff identities, and network addresses but the requester's own. */
export const REDACTABLE = ['actorId', 'clientIp'] as const;

export const CitizenExtractEventOut = Type.Object(
  {
    seq: Type.Integer(),
    eventId: Type.String(),
    occurredAt: Type.String(),
    /** Only when a citizen acted (the subject or a guardian, by their row id); never a staff member. */
    actorId: NStr,
    actorAgencyId: NStr,
    agencyName: NStr,
    actorRole: NStr,
    action: Type.String(),
    resourceType: Type.String(),
    resourceId: NStr,
    caseId: NStr,
    subjectId: NStr,
    outcome: Type.Union([Type.Literal('allowed'), Type.Literal('denied'), Type.Literal('error')]),
    reason: NStr,
    consentIds: Type.Array(Type.String()),
    requestId: NStr,
    clientIp: NStr,
    leafIndex: Type.Integer(),
    leafHash: Type.String(),
    inclusionProof: Nullable(Type.Array(Type.String())),
    /**
     * The fields left out of this copy (set to null). An event with none recomputes to its
     * `leafHash`; for every event the inclusion proof shows that `leafHash` is in the signed log.
     */
    redacted: Type.Array(Type.Union(REDACTABLE.map((f) => Type.Literal(f)))),
  },
  { additionalProperties: false },
);
export type CitizenExtractEventOut = Static<typeof CitizenExtractEventOut>;

export const CitizenExtractOut = Type.Object(
  {
    format: Type.Literal('samverka-citizen-extract/v1'),
    subjectId: Uuid,
    generatedAt: Type.String({ format: 'date-time' }),
    publicKey: PublicKeyOut,
    checkpoint: Nullable(CheckpointOut),
    events: Type.Array(CitizenExtractEventOut),
    unsequenced: Type.Integer(),
    truncated: Type.Boolean(),
    limit: Type.Integer(),
    protectedIdentity: Type.Boolean(),
    agenciesHeldBack: Type.Boolean(),
    /** The secrecy review of a protected person's extract, without who made it. */
    secrecyReview: Nullable(
      Type.Object(
        {
          decision: Type.Union(SECRECY_DECISIONS.map((d) => Type.Literal(d))),
          reasonCode: Type.Union(SECRECY_REASON_CODES.map((c) => Type.Literal(c))),
          reviewedAt: Type.String({ format: 'date-time' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CitizenExtractOut = Static<typeof CitizenExtractOut>;
