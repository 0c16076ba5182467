import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CONSENT_METHODS } from '../../consents/consents.entities.js';
import { Uuid } from '../../identity/identity.schemas.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const lit = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Timestamp = Type.String({ format: 'date-time' });

export const CitizenConsentParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const CitizenConsentStatusT = lit(['active', 'upcoming', 'expired', 'withdrawn'] as const);

/** A consent as the person reads it: plain fields, agency names and category labels, no staff. */
export const CitizenConsentOut = Type.Object(
  {
    id: Uuid,
    subjectId: Uuid,
    subjectFirstName: Nullable(Type.String()),
    agencies: Type.Array(Type.Object({ id: Uuid, name: Type.String() }, { additionalProperties: false })),
    categories: Type.Array(Type.Object({ code: Type.String(), label: Type.String() }, { additionalProperties: false })),
    purpose: Type.String(),
    validFrom: Type.String({ format: 'date' }),
    validTo: Type.String({ format: 'date' }),
    givenBy: lit(['subject', 'guardian'] as const),
    /** The signed-in person gave it (the subject their own; a guardian the one they gave). */
    givenByMe: Type.Boolean(),
    method: lit(CONSENT_METHODS),
    recordedAt: Timestamp,
    status: CitizenConsentStatusT,
    withdrawnAt: Nullable(Timestamp),
    withdrawnByMe: Type.Boolean(),
    /** Given by the signed-in person, and neither withdrawn nor ended. */
    canWithdraw: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type CitizenConsentOut = Static<typeof CitizenConsentOut>;

export const CitizenConsentsOut = Type.Object({ items: Type.Array(CitizenConsentOut) }, { additionalProperties: false });

export const WithdrawByCitizenBody = Type.Object(
  {
    reason: Type.Optional(Type.String({ maxLength: 2000, description: 'Optional, for the social worker; never in the receipt' })),
  },
  { additionalProperties: false },
);
export type WithdrawByCitizenBody = Static<typeof WithdrawByCitizenBody>;

/** A signed receipt as stored: the canonical JSON document, its Ed25519 signature and key. */
export const SignedReceiptOut = Type.Object(
  {
    receipt: Type.Record(Type.String(), Type.Unknown()),
    signature: Type.String(),
    kid: Type.String(),
    publicKey: Type.String({ description: 'The Ed25519 public key, base64 (32 bytes)' }),
  },
  { additionalProperties: false },
);
export type SignedReceiptOut = Static<typeof SignedReceiptOut>;

export const WithdrawByCitizenOut = Type.Object({ withdrawnAt: Timestamp, receipt: SignedReceiptOut }, { additionalProperties: false });
