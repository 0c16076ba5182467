import { EntitySchema } from '@mikro-orm/core';

export const CASE_TYPES = ['sspf', 'avhoppare'] as const;
export type CaseType = (typeof CASE_TYPES)[number];
export const CASE_STATUSES = ['open', 'active', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const AVHOPPARE_PHASES = ['assessment', 'intensive', 'transition', 'aftercare'] as const;
export type AvhopparePhase = (typeof AVHOPPARE_PHASES)[number];
export const PLAN_ITEM_STATUSES = ['planned', 'in_progress', 'done', 'cancelled'] as const;
export type PlanItemStatus = (typeof PLAN_ITEM_STATUSES)[number];

export class SupportCase {
  id!: string;
  subjectId!: string;
  ownerAgencyId!: string;
  ownerUserId!: string;
  type!: CaseType;
  status: CaseStatus = 'open';
  phase?: AvhopparePhase | null;
  area!: string;
  reason!: string;
  outcome?: string | null;
  createdAt: Date = new Date();
  updatedAt: Date = new Date();
  closedAt?: Date | null;
}

export class CaseParticipant {
  caseId!: string;
  agencyId!: string;
  addedAt: Date = new Date();
  addedByUserId?: string | null;
}

export class JournalEntry {
  id!: string;
  caseId!: string;
  authorUserId!: string;
  authorAgencyId!: string;
  category!: string;
  text!: string;
  correctsId?: string | null;
  createdAt: Date = new Date();
}

export class PlanItem {
  id!: string;
  caseId!: string;
  authorUserId!: string;
  authorAgencyId!: string;
  responsibleAgencyId!: string;
  category = 'plan';
  lifeArea!: string;
  goal!: string;
  action!: string;
  dueDate?: string | null;
  status: PlanItemStatus = 'planned';
  createdAt: Date = new Date();
  updatedAt: Date = new Date();
}

export class PlanItemFollowUp {
  id!: string;
  planItemId!: string;
  authorUserId!: string;
  authorAgencyId!: string;
  note!: string;
  createdAt: Date = new Date();
}

export class Meeting {
  id!: string;
  caseId!: string;
  authorUserId!: string;
  authorAgencyId!: string;
  category = 'plan';
  date!: string;
  agencyIds: string[] = [];
  people: string[] = [];
  agenda!: string;
  minutes!: string;
  createdAt: Date = new Date();
}

export class MeetingDecision {
  id!: string;
  meetingId!: string;
  position!: number;
  text!: string;
  planItemId?: string | null;
}

export const SupportCaseSchema = new EntitySchema<SupportCase>({
  class: SupportCase,
  tableName: 'support_case',
  properties: {
    id: { type: 'uuid', primary: true },
    subjectId: { type: 'uuid' },
    ownerAgencyId: { type: 'uuid' },
    ownerUserId: { type: 'uuid' },
    type: { type: 'string' },
    status: { type: 'string' },
    phase: { type: 'string', nullable: true },
    area: { type: 'string' },
    reason: { type: 'text' },
    outcome: { type: 'text', nullable: true },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime' },
    closedAt: { type: 'datetime', nullable: true },
  },
});

export const CaseParticipantSchema = new EntitySchema<CaseParticipant>({
  class: CaseParticipant,
  tableName: 'case_participant',
  properties: {
    caseId: { type: 'uuid', primary: true },
    agencyId: { type: 'uuid', primary: true },
    addedAt: { type: 'datetime' },
    addedByUserId: { type: 'uuid', nullable: true },
  },
});

export const JournalEntrySchema = new EntitySchema<JournalEntry>({
  class: JournalEntry,
  tableName: 'journal_entry',
  properties: {
    id: { type: 'uuid', primary: true },
    caseId: { type: 'uuid' },
    authorUserId: { type: 'uuid' },
    authorAgencyId: { type: 'uuid' },
    category: { type: 'string' },
    text: { type: 'text' },
    correctsId: { type: 'uuid', nullable: true },
    createdAt: { type: 'datetime' },
  },
});

export const PlanItemSchema = new EntitySchema<PlanItem>({
  class: PlanItem,
  tableName: 'plan_item',
  properties: {
    id: { type: 'uuid', primary: true },
    caseId: { type: 'uuid' },
    authorUserId: { type: 'uuid' },
    authorAgencyId: { type: 'uuid' },
    responsibleAgencyId: { type: 'uuid' },
    category: { type: 'string' },
    lifeArea: { type: 'string' },
    goal: { type: 'text' },
    action: { type: 'text' },
    dueDate: { type: 'string', columnType: 'date', nullable: true },
    status: { type: 'string' },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime' },
  },
});

export const PlanItemFollowUpSchema = new EntitySchema<PlanItemFollowUp>({
  class: PlanItemFollowUp,
  tableName: 'plan_item_follow_up',
  properties: {
    id: { type: 'uuid', primary: true },
    planItemId: { type: 'uuid' },
    authorUserId: { type: 'uuid' },
    authorAgencyId: { type: 'uuid' },
    note: { type: 'text' },
    createdAt: { type: 'datetime' },
  },
});

export const MeetingSchema = new EntitySchema<Meeting>({
  class: Meeting,
  tableName: 'meeting',
  properties: {
    id: { type: 'uuid', primary: true },
    caseId: { type: 'uuid' },
    authorUserId: { type: 'uuid' },
    authorAgencyId: { type: 'uuid' },
    category: { type: 'string' },
    date: { type: 'string', columnType: 'date' },
    agencyIds: { type: 'string[]', columnType: 'uuid[]' },
    people: { type: 'string[]', columnType: 'text[]' },
    agenda: { type: 'text' },
    minutes: { type: 'text' },
    createdAt: { type: 'datetime' },
  },
});

export const MeetingDecisionSchema = new EntitySchema<MeetingDecision>({
  class: MeetingDecision,
  tableName: 'meeting_decision',
  properties: {
    id: { type: 'uuid', primary: true },
    meetingId: { type: 'uuid' },
    position: { type: 'integer' },
    text: { type: 'text' },
    planItemId: { type: 'uuid', nullable: true },
  },
});

/** The schemas this module adds to the ORM (src/db/entities.ts). */
export const caseEntities = [
  SupportCaseSchema,
  CaseParticipantSchema,
  JournalEntrySchema,
  PlanItemSchema,
  PlanItemFollowUpSchema,
  MeetingSchema,
  MeetingDecisionSchema,
];
