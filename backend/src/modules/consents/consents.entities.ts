import { EntitySchema } from '@mikro-orm/core';

export const CONSENT_METHODS = ['written', 'digital', 'oral'] as const;
export type ConsentMethodKind = (typeof CONSENT_METHODS)[number];
export const GIVEN_BY_KINDS = ['subject', 'guardian'] as const;
export type GivenByKind = (typeof GIVEN_BY_KINDS)[number];
export const DISCLOSED_ITEM_TYPES = ['case', 'entry', 'plan_item', 'meeting', 'export', 'document'] as const;
export type DisclosedItemType = (typeof DISCLOSED_ITEM_TYPES)[number];

/** A consent as given: never edited, only withdrawn (once). */
export class Consent {
  id!: string;
  caseId!: string;
  subjectId!: string;
  givenByKind!: GivenByKind;
  guardianId?: string | null;
  method!: ConsentMethodKind;
  evidenceRef?: string | null;
  witness?: string | null;
  agencyIds: string[] = [];
  categories: string[] = [];
  purpose!: string;
  /** ISO date, first day in force. */
  validFrom!: string;
  /** ISO date, last day in force. */
  validTo!: string;
  recordedBy!: string;
  recordedAt!: Date;
  withdrawnAt?: Date | null;
  withdrawnBy?: string | null;
  withdrawalReason?: string | null;
}

/** The signed consent receipt, kept as the exact canonical JSON that was signed. */
export class ConsentReceiptRecord {
  id!: string;
  consentId!: string;
  receipt!: string;
  signature!: string;
  kid!: string;
  issuedAt!: Date;
}

/** One item that crossed from one agency to another: the disclosure ledger. */
export class Disclosure {
  id!: string;
  caseId!: string;
  subjectId!: string;
  itemType!: DisclosedItemType;
  itemId!: string;
  category!: string;
  fromAgencyId!: string;
  toAgencyId!: string;
  toUserId!: string;
  consentIds: string[] = [];
  disclosedAt!: Date;
  requestId!: string;
}

export const ConsentSchema = new EntitySchema<Consent>({
  class: Consent,
  tableName: 'consent',
  properties: {
    id: { type: 'uuid', primary: true },
    caseId: { type: 'uuid' },
    subjectId: { type: 'uuid' },
    givenByKind: { type: 'string' },
    guardianId: { type: 'uuid', nullable: true },
    method: { type: 'string' },
    evidenceRef: { type: 'string', nullable: true },
    witness: { type: 'string', nullable: true },
    agencyIds: { type: 'string[]', columnType: 'uuid[]' },
    categories: { type: 'string[]', columnType: 'text[]' },
    purpose: { type: 'text' },
    validFrom: { type: 'string', columnType: 'date' },
    validTo: { type: 'string', columnType: 'date' },
    recordedBy: { type: 'uuid' },
    recordedAt: { type: 'datetime' },
    withdrawnAt: { type: 'datetime', nullable: true },
    withdrawnBy: { type: 'uuid', nullable: true },
    withdrawalReason: { type: 'text', nullable: true },
  },
});

export const ConsentReceiptSchema = new EntitySchema<ConsentReceiptRecord>({
  class: ConsentReceiptRecord,
  tableName: 'consent_receipt',
  properties: {
    id: { type: 'uuid', primary: true },
    consentId: { type: 'uuid' },
    receipt: { type: 'text' },
    signature: { type: 'string' },
    kid: { type: 'string' },
    issuedAt: { type: 'datetime' },
  },
});

export const DisclosureSchema = new EntitySchema<Disclosure>({
  class: Disclosure,
  tableName: 'disclosure',
  properties: {
    id: { type: 'uuid', primary: true },
    caseId: { type: 'uuid' },
    subjectId: { type: 'uuid' },
    itemType: { type: 'string' },
    itemId: { type: 'uuid' },
    category: { type: 'string' },
    fromAgencyId: { type: 'uuid' },
    toAgencyId: { type: 'uuid' },
    toUserId: { type: 'uuid' },
    consentIds: { type: 'string[]', columnType: 'uuid[]' },
    disclosedAt: { type: 'datetime' },
    requestId: { type: 'string' },
  },
});

/** The schemas this module adds to the ORM (src/db/entities.ts). */
export const consentEntities = [ConsentSchema, ConsentReceiptSchema, DisclosureSchema];
