import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Uuid } from '../identity/identity.schemas.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const lit = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });
const Code = Type.String({ pattern: '^[a-z_]{1,40}$' });
const DateOnly = Type.String({ format: 'date' });
const Timestamp = Type.String({ format: 'date-time' });

export const RequestStatusT = lit(['open', 'accepted', 'declined', 'expired', 'cancelled'] as const);
const PartyKindT = lit(['subject', 'guardian'] as const);
const DecisionT = lit(['accept', 'decline'] as const);

export const CaseParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const RequestParams = Type.Object({ id: Uuid, requestId: Uuid }, { additionalProperties: false });

export const CreateRequestBody = Type.Object(
  {
    agencyIds: Type.Array(Uuid, { minItems: 2, maxItems: 20, uniqueItems: true, description: 'Must include the owning agency' }),
    categories: Type.Array(Code, { minItems: 1, maxItems: 20, uniqueItems: true }),
    purpose: Text(2000),
    explanation: Type.Optional(Text(4000)),
    validFrom: DateOnly,
    validTo: DateOnly,
    expiresAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'Until when the request can be answered (default: policies/citizen.yaml requestValidDays)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateRequestBody = Static<typeof CreateRequestBody>;

export const RequestAnswerOut = Type.Object(
  {
    answeredByKind: PartyKindT,
    guardianId: Nullable(Uuid),
    decision: DecisionT,
    answeredAt: Timestamp,
    consentId: Nullable(Uuid),
    /** The person's optional reason for declining, for the social worker. */
    reason: Nullable(Type.String()),
  },
  { additionalProperties: false },
);

/** A consent request as the owning unit sees it. */
export const RequestOut = Type.Object(
  {
    id: Uuid,
    caseId: Uuid,
    agencyIds: Type.Array(Uuid),
    agencyNames: Type.Array(Type.String(), { description: 'In the order of agencyIds' }),
    categories: Type.Array(Type.String()),
    purpose: Type.String(),
    explanation: Nullable(Type.String()),
    validFrom: DateOnly,
    validTo: DateOnly,
    createdAt: Timestamp,
    expiresAt: Timestamp,
    status: RequestStatusT,
    answers: Type.Array(RequestAnswerOut),
    /** While open: the parties (by the subject's age today) who have not answered yet. */
    awaiting: Type.Array(Type.Object({ kind: PartyKindT, guardianId: Nullable(Uuid) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type RequestOut = Static<typeof RequestOut>;

export const RequestListOut = Type.Object({ items: Type.Array(RequestOut) }, { additionalProperties: false });

/** A request as the person who must answer it reads it: agency names and category labels, no staff. */
export const CitizenRequestOut = Type.Object(
  {
    id: Uuid,
    subjectId: Uuid,
    subjectFirstName: Nullable(Type.String()),
    agencies: Type.Array(Type.Object({ id: Uuid, name: Type.String() }, { additionalProperties: false })),
    categories: Type.Array(Type.Object({ code: Type.String(), label: Type.String() }, { additionalProperties: false })),
    purpose: Type.String(),
    explanation: Nullable(Type.String()),
    validFrom: DateOnly,
    validTo: DateOnly,
    expiresAt: Timestamp,
    status: RequestStatusT,
    myAnswer: Nullable(DecisionT),
    /** Open, not yet answered by the signed-in person, and the case is still open. */
    canAnswer: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type CitizenRequestOut = Static<typeof CitizenRequestOut>;

export const CitizenRequestListOut = Type.Object({ items: Type.Array(CitizenRequestOut) }, { additionalProperties: false });

export const CitizenRequestParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const AcceptBody = Type.Object({}, { additionalProperties: false });
export const AcceptOut = Type.Object(
  { consentId: Uuid, receiptUrl: Type.String({ description: "The consent's signed receipt, for the person to download" }) },
  { additionalProperties: false },
);
export const DeclineBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 2000, description: 'Optional, for the social worker who prepared the request' })) },
  { additionalProperties: false },
);
export type DeclineBody = Static<typeof DeclineBody>;
export const DeclineOut = Type.Object({ status: RequestStatusT }, { additionalProperties: false });
