import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Uuid } from '../identity/identity.schemas.js';
import { CONSENT_METHODS, DISCLOSED_ITEM_TYPES } from './consents.entities.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const lit = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });
const Code = Type.String({ pattern: '^[a-z_]{1,40}$' });
const DateOnly = Type.String({ format: 'date' });
const Timestamp = Type.String({ format: 'date-time' });

export const ConsentMethodT = lit(CONSENT_METHODS);
export const ConsentStatusT = lit(['active', 'pending', 'expired', 'withdrawn'] as const);
export const DenyReasonT = lit(['no_consent', 'expired', 'withdrawn', 'no_required_party'] as const);

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const GivenByIn = Type.Union([
  Type.Object({ kind: Type.Literal('subject') }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('guardian'), guardianId: Uuid }, { additionalProperties: false }),
]);

export const RecordConsentBody = Type.Object(
  {
    givenBy: GivenByIn,
    agencyIds: Type.Array(Uuid, { minItems: 2, maxItems: 20, uniqueItems: true }),
    categories: Type.Array(Code, { minItems: 1, maxItems: 20, uniqueItems: true }),
    purpose: Text(2000),
    validFrom: DateOnly,
    validTo: DateOnly,
    method: ConsentMethodT,
    witness: Type.Optional(Text(200)),
    evidenceRef: Type.Optional(Text(500)),
  },
  { additionalProperties: false },
);
export type RecordConsentBody = Static<typeof RecordConsentBody>;

export const WithdrawBody = Type.Object({ reason: Text(2000) }, { additionalProperties: false });

export const GivenByOut = Type.Object({ kind: lit(['subject', 'guardian'] as const), guardianId: Type.Optional(Uuid) });

export const ConsentOut = Type.Object({
  id: Uuid,
  caseId: Uuid,
  subjectId: Uuid,
  status: ConsentStatusT,
  givenBy: GivenByOut,
  method: ConsentMethodT,
  evidenceRef: Nullable(Type.String()),
  witness: Nullable(Type.String()),
  agencyIds: Type.Array(Uuid),
  categories: Type.Array(Type.String()),
  purpose: Type.String(),
  validFrom: DateOnly,
  validTo: DateOnly,
  recordedBy: Uuid,
  recordedAt: Timestamp,
  withdrawnAt: Nullable(Timestamp),
  withdrawnBy: Nullable(Uuid),
  withdrawalReason: Nullable(Type.String()),
  /** Who withdrew it: staff (`withdrawnBy` names the user), or the person themselves (`withdrawnBy` null). */
  withdrawnByKind: Nullable(lit(['staff', 'subject', 'guardian'] as const)),
  withdrawnByGuardianId: Nullable(Uuid),
  receiptId: Nullable(Uuid),
});
export type ConsentOut = Static<typeof ConsentOut>;

export const ExpiringConsentOut = Type.Composite([ConsentOut, Type.Object({ daysLeft: Type.Integer({ minimum: 0 }) })]);

/** A receipt is an open JSON document: verification must see exactly what was sent. */
const ReceiptDocument = Type.Record(Type.String(), Type.Unknown());

export const ReceiptOut = Type.Object({
  receipt: ReceiptDocument,
  signature: Type.String(),
  kid: Type.String(),
  publicKey: Type.String({ description: 'The Ed25519 public key, base64 (32 bytes)' }),
});

export const VerifyReceiptBody = Type.Object(
  {
    receipt: ReceiptDocument,
    signature: Type.String({ minLength: 1, maxLength: 200 }),
    kid: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false },
);
export const VerifyReceiptOut = Type.Object({ valid: Type.Boolean() });

export const DisclosureQuery = Type.Object(
  {
    page: Type.Integer({ minimum: 1, maximum: 100000, default: 1 }),
    pageSize: Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Rows per page; with `group`, groups per page' }),
    group: Type.Optional(
      Type.Literal('day', { description: 'Group per day (Europe/Stockholm) × recipient agency × category, with counts: `groups`' }),
    ),
    groupRows: Type.Integer({ minimum: 0, maximum: 100, default: 20, description: 'With `group`: the newest rows given per group' }),
    from: Type.Optional(Type.String({ format: 'date', description: 'First day (Europe/Stockholm), inclusive' })),
    to: Type.Optional(Type.String({ format: 'date', description: 'Last day (Europe/Stockholm), inclusive' })),
    agencyId: Type.Optional(Type.String({ format: 'uuid', description: 'Only what went to this agency' })),
    category: Type.Optional(Code),
  },
  { additionalProperties: false },
);
export type DisclosureQuery = Static<typeof DisclosureQuery>;

export const DisclosureOut = Type.Object({
  id: Uuid,
  caseId: Uuid,
  subjectId: Uuid,
  itemType: lit(DISCLOSED_ITEM_TYPES),
  itemId: Uuid,
  category: Type.String(),
  fromAgencyId: Uuid,
  toAgencyId: Uuid,
  toUserId: Uuid,
  consentIds: Type.Array(Uuid),
  disclosedAt: Timestamp,
  requestId: Type.String(),
  /** The day of `disclosedAt` on the Stockholm calendar (the group it belongs to). */
  day: DateOnly,
  /** Who received it, by name (the ledger is the owning unit's: staff names are theirs to see). */
  toUserName: Nullable(Type.String()),
  toAgencyName: Nullable(Type.String()),
  fromAgencyName: Nullable(Type.String()),
});
export const DisclosureGroupOut = Type.Object({
  day: DateOnly,
  agencyId: Uuid,
  agencyName: Nullable(Type.String()),
  category: Type.String(),
  count: Type.Integer({ minimum: 1 }),
  /** The group's newest rows, at most `groupRows`; the rest through the filters `from`=`to`=`day`, `agencyId`, `category`. */
  items: Type.Array(DisclosureOut),
});
export const DisclosurePage = Type.Object({
  /** The rows of this page (empty with `group`). */
  items: Type.Array(DisclosureOut),
  /** Rows matched; with `group`, groups. */
  total: Type.Integer(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  /** With `group` only. */
  groups: Type.Optional(Type.Array(DisclosureGroupOut)),
  /** With `group` only: the rows in all groups. */
  totalRows: Type.Optional(Type.Integer()),
});

const PartyOut = GivenByOut;

export const ConsentMatrixOut = Type.Object({
  at: Timestamp,
  /** The subject's age today (Europe/Stockholm), or null when the birth date is unknown. */
  subjectAge: Nullable(Type.Integer()),
  requiredParties: Type.Array(PartyOut),
  agencies: Type.Array(Type.Object({ id: Uuid, name: Type.String(), role: lit(['owner', 'participant'] as const) })),
  categories: Type.Array(Type.String()),
  cells: Type.Array(
    Type.Object({
      agencyIds: Type.Array(Uuid, { minItems: 2, maxItems: 2 }),
      category: Type.String(),
      open: Type.Boolean(),
      reason: Type.String(),
      consentIds: Type.Array(Uuid),
      missing: Type.Array(Type.Object({ party: PartyOut, reason: DenyReasonT })),
    }),
  ),
});

/** What a read leaves out for lack of consent: counts, never content. */
export const WithheldOut = Type.Array(Type.Object({ category: Type.String(), count: Type.Integer({ minimum: 1 }), reason: DenyReasonT }));
