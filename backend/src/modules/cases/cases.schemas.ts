import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Uuid } from '../identity/identity.schemas.js';
import { WithheldOut } from '../consents/consents.schemas.js';
import { SubjectIn, SubjectOut } from '../subjects/subjects.schemas.js';
import { NetworkContactOut } from './network.schemas.js';
import { AVHOPPARE_PHASES, CASE_STATUSES, CASE_TYPES, PLAN_ITEM_STATUSES } from './cases.entities.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const lit = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });
const Code = Type.String({ pattern: '^[a-z_]{1,40}$' });
const DateOnly = Type.String({ format: 'date' });
const Timestamp = Type.String({ format: 'date-time' });

export const CaseTypeT = lit(CASE_TYPES);
export const CaseStatusT = lit(CASE_STATUSES);
export const PhaseT = lit(AVHOPPARE_PHASES);
export const PlanItemStatusT = lit(PLAN_ITEM_STATUSES);
export const Area = Type.String({ minLength: 1, maxLength: 100 });

// ---- inputs -------------------------------------------------------------------------------

export const CaseParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const PlanItemParams = Type.Object({ id: Uuid, itemId: Uuid }, { additionalProperties: false });
export const ParticipantParams = Type.Object({ id: Uuid, agencyId: Uuid }, { additionalProperties: false });

const AgencyIds = Type.Array(Uuid, { maxItems: 20, uniqueItems: true });

export const CreateCaseBody = Type.Object(
  {
    type: CaseTypeT,
    area: Area,
    reason: Text(5000),
    subject: SubjectIn,
    agencyIds: Type.Optional(AgencyIds),
  },
  { additionalProperties: false },
);
export type CreateCaseBody = Static<typeof CreateCaseBody>;

export const UpdateCaseBody = Type.Object(
  {
    reason: Type.Optional(Text(5000)),
    area: Type.Optional(Area),
    status: Type.Optional(CaseStatusT),
    phase: Type.Optional(PhaseT),
    deputyUserId: Type.Optional(
      Type.Union([Uuid, Type.Null()], {
        description: 'The deputy caseworker: a social worker of the owning agency other than the responsible one; null removes the deputy',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateCaseBody = Static<typeof UpdateCaseBody>;

export const CloseCaseBody = Type.Object(
  {
    outcome: Text(5000),
    outcomeCode: Type.Optional(
      Type.String({
        pattern: '^[a-z_]{1,40}$',
        description: 'One of policies/case-outcomes.yaml (GET /cases/options `outcomes`); without it, the configured default (`other`)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CloseCaseBody = Static<typeof CloseCaseBody>;
export const ReopenCaseBody = Type.Object({ reason: Text(2000) }, { additionalProperties: false });
/** Removing an agency that still has open plan actions: who takes them over (the owner or another participant). */
export const RemoveParticipantQuery = Type.Object(
  {
    reassignTo: Type.Optional(
      Type.String({
        format: 'uuid',
        description: "The agency that takes over the leaving agency's open plan actions (the owning agency or another participant)",
      }),
    ),
  },
  { additionalProperties: false },
);
export const ParticipantBody = Type.Object({ agencyId: Uuid }, { additionalProperties: false });
export const TransferBody = Type.Object(
  { userId: Type.String({ format: 'uuid', description: 'The new responsible caseworker: a social worker of the owning agency' }) },
  { additionalProperties: false },
);

const PageFields = {
  page: Type.Integer({ minimum: 1, maximum: 100000, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
};

const CaseFilterFields = {
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description:
        'A case number (`SSPF-2026-0042`; any case, dashes optional), a name (part of first or last name) or an exact personal identity number in any accepted form',
    }),
  ),
  status: Type.Optional(CaseStatusT),
  type: Type.Optional(CaseTypeT),
  area: Type.Optional(Area),
  agencyId: Type.Optional(Uuid),
  owner: Type.Optional(Type.Literal('me', { description: '`me`: only the cases the caller is responsible for or deputy of, "my cases"' })),
  ...PageFields,
};
/** For GET: prefer POST /cases/search when `q` is set, so that no name or number is put in a URL. */
export const CaseListQuery = Type.Object(CaseFilterFields, { additionalProperties: false });
export const CaseSearchBody = Type.Object(CaseFilterFields, { additionalProperties: false });
export type CaseFilter = Static<typeof CaseListQuery>;

export const PageQuery = Type.Object(PageFields, { additionalProperties: false });
export type PageQuery = Static<typeof PageQuery>;
/**
 * A page of a journal: by number, or — for deep pages — by keyset after the last entry seen;
 * optionally filtered (applied to what the caller may see; `withheld` stays the whole journal's).
 */
export const EntriesQuery = Type.Object(
  {
    ...PageFields,
    after: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'Keyset paging: the id of the last entry of the previous page; the entries older than it (`page` is then ignored)',
      }),
    ),
    category: Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$', description: 'Only entries of this information category' })),
    agencyId: Type.Optional(Type.String({ format: 'uuid', description: 'Only entries written by this agency' })),
    authorId: Type.Optional(Type.String({ format: 'uuid', description: 'Only entries written by this user' })),
    from: Type.Optional(Type.String({ format: 'date', description: 'Only entries written on or after this day (Swedish time)' })),
    to: Type.Optional(Type.String({ format: 'date', description: 'Only entries written on or before this day (Swedish time)' })),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '\\S',
        description: 'Only entries whose text contains this (case-insensitive)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type EntriesQuery = Static<typeof EntriesQuery>;

export const EntryBody = Type.Object({ category: Code, text: Text(20000), corrects: Type.Optional(Uuid) }, { additionalProperties: false });
export type EntryBody = Static<typeof EntryBody>;

export const PlanItemBody = Type.Object(
  {
    lifeArea: Code,
    goal: Text(2000),
    action: Text(2000),
    responsibleAgencyId: Uuid,
    dueDate: Type.Optional(Nullable(DateOnly)),
    status: Type.Optional(PlanItemStatusT),
  },
  { additionalProperties: false },
);
export type PlanItemBody = Static<typeof PlanItemBody>;

export const UpdatePlanItemBody = Type.Object(
  {
    goal: Type.Optional(Text(2000)),
    action: Type.Optional(Text(2000)),
    responsibleAgencyId: Type.Optional(Uuid),
    dueDate: Type.Optional(Nullable(DateOnly)),
    status: Type.Optional(PlanItemStatusT),
    followUp: Type.Optional(Text(5000)),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdatePlanItemBody = Static<typeof UpdatePlanItemBody>;

export const MEETING_STATUSES = ['planned', 'held', 'cancelled'] as const;
export const MeetingStatusT = lit(MEETING_STATUSES);
/** A decision of a held meeting; `planItem` adds it to the plan as an action. */
export const MeetingDecisionIn = Type.Object({ text: Text(5000), planItem: Type.Optional(PlanItemBody) }, { additionalProperties: false });
export const MeetingPlace = Type.String({
  minLength: 1,
  maxLength: 500,
  pattern: '\\S',
  description: 'Where: a room or an address, or "digital"',
});
export const StaffNames = Type.Array(Text(200), { maxItems: 50, description: 'Staff by name (never the person the case is about)' });

/**
 * A network meeting: planned (a time, place and invitees; it may be moved or cancelled until it is
 * held) or recorded as held (minutes, decisions). Without `status`: held when `minutes` are
 * given (as before meetings could be planned), else planned.
 */
export const MeetingBody = Type.Object(
  {
    date: Type.Optional(DateOnly),
    startsAt: Type.Optional(Timestamp),
    endsAt: Type.Optional(Timestamp),
    place: Type.Optional(MeetingPlace),
    agencyIds: Type.Array(Uuid, { minItems: 1, maxItems: 20, uniqueItems: true }),
    people: Type.Optional(Type.Array(Text(200), { maxItems: 50 })),
    invitees: Type.Optional(StaffNames),
    status: Type.Optional(MeetingStatusT),
    agenda: Type.String({ maxLength: 20000 }),
    minutes: Type.Optional(Type.String({ maxLength: 20000 })),
    decisions: Type.Optional(Type.Array(MeetingDecisionIn, { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export type MeetingBody = Static<typeof MeetingBody>;

// ---- outputs ------------------------------------------------------------------------------

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() });
/** LIST_TOTAL_CAP: a filtered list counts its matches up to this many. */
export const LIST_TOTAL_CAP = 1000;
/**
 * NAME_SEARCH_TOTAL_CAP: a search by name counts its matches up to this many (five pages of 20).
 * Someone searching by name is looking for one person: past a hundred hits the answer is to type
 * more of the name, not to page on, and counting further is what made a common-name search slow.
 */
export const NAME_SEARCH_TOTAL_CAP = 100;
/** A page of cases: a search or filtered list counts its matches up to a cap (`totalIsEstimate`: there are more than `total`). */
export const CasePage = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    page: Type.Integer(),
    pageSize: Type.Integer(),
    totalIsEstimate: Type.Boolean({
      description: `true when the count stopped at its cap (${NAME_SEARCH_TOTAL_CAP} for a search by name, ${LIST_TOTAL_CAP} for a filtered list): there are more than \`total\` matches; narrow the search`,
    }),
  });
/** A page of a case's items as the caller may see them: `withheld` counts what the consent gate kept back. */
export const GatedPage = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer(), withheld: WithheldOut });

export const ParticipantOut = Type.Object({ agencyId: Uuid, name: Type.String(), kind: Type.String(), addedAt: Timestamp });

/** The author's display name (staff, never a subject): null if the user is no longer on record. */
const AuthorName = Nullable(Type.String({ description: 'Display name of the staff member who wrote it' }));

export const FollowUpOut = Type.Object({
  id: Uuid,
  note: Type.String(),
  authorUserId: Uuid,
  authorName: AuthorName,
  authorAgencyId: Uuid,
  createdAt: Timestamp,
});

export const PlanItemOut = Type.Object({
  id: Uuid,
  caseId: Uuid,
  category: Type.String(),
  lifeArea: Type.String(),
  goal: Type.String(),
  action: Type.String(),
  /** Null for a partner when the responsible agency is not named together with it in the consent. */
  responsibleAgencyId: Nullable(Uuid),
  dueDate: Nullable(DateOnly),
  status: PlanItemStatusT,
  authorAgencyId: Uuid,
  authorUserId: Uuid,
  authorName: AuthorName,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  followUps: Type.Array(FollowUpOut),
});

export const MeetingOut = Type.Object({
  id: Uuid,
  caseId: Uuid,
  category: Type.String(),
  date: DateOnly,
  agencyIds: Type.Array(Uuid),
  people: Type.Array(Type.String()),
  agenda: Type.String(),
  minutes: Type.String(),
  decisions: Type.Array(Type.Object({ id: Uuid, text: Type.String(), planItemId: Nullable(Uuid) })),
  authorAgencyId: Uuid,
  authorUserId: Uuid,
  authorName: AuthorName,
  createdAt: Timestamp,
  status: MeetingStatusT,
  startsAt: Nullable(Timestamp),
  endsAt: Nullable(Timestamp),
  place: Nullable(Type.String()),
  invitees: Type.Array(Type.String()),
  /** Who came (a held meeting); empty until then. */
  attendedAgencyIds: Type.Array(Uuid),
  attendedPeople: Type.Array(Type.String()),
  /** The plan's items as they stood when the meeting was held (null until then). */
  planSnapshot: Nullable(Type.Array(PlanItemOut)),
  updatedAt: Timestamp,
});

/** The case number (diarienummer): readable, per type and year, never reused. The API id stays the UUID. */
const CaseNumber = Type.String({ pattern: '^(SSPF|AVH)-[0-9]{4}-[0-9]{4,}$', description: 'Diarienummer, e.g. SSPF-2026-0042' });
/** A staff member's display name (null if the user is not on record). */
const StaffName = Nullable(Type.String());

export const EntryOut = Type.Object({
  id: Uuid,
  caseId: Uuid,
  category: Type.String(),
  text: Type.String(),
  agencyId: Uuid,
  authorId: Uuid,
  authorName: AuthorName,
  corrects: Nullable(Uuid),
  createdAt: Timestamp,
});

export const CaseOut = Type.Object({
  id: Uuid,
  type: CaseTypeT,
  status: CaseStatusT,
  phase: Nullable(PhaseT),
  /** Null in another agency's view of a person with protected identity. */
  area: Nullable(Type.String()),
  /** Null for a partner whose consent does not name `social` (counted in `withheld`). */
  reason: Nullable(Type.String()),
  outcome: Nullable(Type.String()),
  /** The outcome code of policies/case-outcomes.yaml (null: open, or closed before codes existed). */
  outcomeCode: Nullable(Type.String()),
  ownerAgencyId: Uuid,
  /** The responsible caseworker, as `responsibleUserId` (kept for earlier clients). */
  ownerUserId: Uuid,
  caseNumber: CaseNumber,
  responsibleUserId: Uuid,
  responsibleName: StaffName,
  deputyUserId: Nullable(Uuid),
  deputyName: StaffName,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  closedAt: Nullable(Timestamp),
  subject: SubjectOut,
  participants: Type.Array(ParticipantOut),
  /** The network around the person: the owning agency and each participant, with its contact. */
  network: Type.Array(NetworkContactOut),
  planItems: Type.Array(PlanItemOut),
  recentMeetings: Type.Array(MeetingOut),
  /** What the consent gate kept back from the caller: counts per category and reason, never content. */
  withheld: WithheldOut,
});

/**
 * A case in a list or search result: never contact details or address; for a subject with
 * protected identity not even the area (the case is marked by `protectedIdentity`).
 */
export const CaseListItem = Type.Object({
  id: Uuid,
  type: CaseTypeT,
  status: CaseStatusT,
  phase: Nullable(PhaseT),
  area: Nullable(Type.String()),
  protectedIdentity: Type.Boolean(),
  subject: Type.Object({ id: Uuid, firstName: Type.String(), lastName: Type.String(), birthDate: DateOnly }),
  ownerUserId: Uuid,
  caseNumber: CaseNumber,
  responsibleUserId: Uuid,
  deputyUserId: Nullable(Uuid),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  closedAt: Nullable(Timestamp),
});

export const CaseStatsOut = Type.Object({
  total: Type.Integer(),
  /** The caller's own cases (responsible or deputy), all statuses. */
  mine: Type.Integer(),
  byStatus: Type.Object(Object.fromEntries(CASE_STATUSES.map((s) => [s, Type.Integer()]))),
  byType: Type.Object(Object.fromEntries(CASE_TYPES.map((t) => [t, Type.Integer()]))),
  cells: Type.Array(Type.Object({ type: CaseTypeT, status: CaseStatusT, count: Type.Integer() })),
});

export const GroupStatsOut = Type.Object({
  minCellSize: Type.Integer(),
  cells: Type.Array(
    Type.Object({
      area: Nullable(Type.String({ description: 'null: cases of people with protected identity, whose area is never disclosed' })),
      type: CaseTypeT,
      status: CaseStatusT,
      count: Nullable(
        Type.Integer({
          description:
            'null when suppressed: fewer than minCellSize, or withheld so that no small cell here or in /api/stats/overview can be worked out from the rest',
        }),
      ),
      suppressed: Type.Boolean(),
    }),
  ),
});

export const CaseOptionsOut = Type.Object({
  areas: Type.Array(Type.String()),
  types: Type.Array(CaseTypeT),
  phases: Type.Array(PhaseT),
  lifeAreas: Type.Object(Object.fromEntries(CASE_TYPES.map((t) => [t, Type.Array(Type.String())]))),
  categories: Type.Array(
    Type.Object({ code: Type.String(), description: Type.String(), authors: Type.Array(Type.String()), mine: Type.Boolean() }),
  ),
  agencies: Type.Array(Type.Object({ id: Uuid, name: Type.String(), kind: Type.String() })),
  /** The outcome codes a case is closed with (policies/case-outcomes.yaml), labelled in both languages. */
  outcomes: Type.Array(Type.Object({ code: Type.String(), sv: Type.String(), en: Type.String() })),
  defaultOutcome: Type.String(),
});

/** One change of a case's responsible caseworker or deputy (null: none before, or none after). */
export const ResponsibilityChangeOut = Type.Object({
  id: Uuid,
  role: Type.Union([Type.Literal('responsible'), Type.Literal('deputy')]),
  fromUserId: Nullable(Uuid),
  fromName: StaffName,
  toUserId: Nullable(Uuid),
  toName: StaffName,
  changedByUserId: Uuid,
  changedByName: StaffName,
  changedAt: Timestamp,
});

/** A social worker of the owning agency who may be made responsible or deputy. */
export const CaseworkerOut = Type.Object({ id: Uuid, displayName: Type.String() });

/** One change of a plan item (null: the field was not changed, or had no value). */
export const PlanItemChangeOut = Type.Object({
  id: Uuid,
  planItemId: Uuid,
  caseId: Uuid,
  cause: Type.Union([Type.Literal('update'), Type.Literal('reassign')]),
  fields: Type.Array(Type.String()),
  goalFrom: Nullable(Type.String()),
  goalTo: Nullable(Type.String()),
  actionFrom: Nullable(Type.String()),
  actionTo: Nullable(Type.String()),
  responsibleAgencyIdFrom: Nullable(Uuid),
  responsibleAgencyIdTo: Nullable(Uuid),
  dueDateFrom: Nullable(Type.String()),
  dueDateTo: Nullable(Type.String()),
  statusFrom: Nullable(Type.String()),
  statusTo: Nullable(Type.String()),
  changedByUserId: Uuid,
  changedByName: AuthorName,
  changedByAgencyId: Nullable(Uuid),
  changedAt: Timestamp,
});

/** One close (outcome code and text) or reopen (reason) of a case. */
export const CaseOutcomeEventOut = Type.Object({
  id: Uuid,
  kind: Type.Union([Type.Literal('closed'), Type.Literal('reopened')]),
  outcomeCode: Nullable(Type.String()),
  outcome: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  userId: Uuid,
  userName: Nullable(Type.String()),
  at: Timestamp,
});

/** A consent still in force when its case is closed: the caseworker decides whether to end it. */
export const ConsentInForceOut = Type.Object({
  id: Uuid,
  agencyIds: Type.Array(Uuid),
  categories: Type.Array(Type.String()),
  purpose: Type.String(),
  validFrom: DateOnly,
  validTo: DateOnly,
});

/** A closed case, with the consents still in force. */
export const ClosedCaseOut = Type.Composite([CaseOut, Type.Object({ consentsInForce: Type.Array(ConsentInForceOut) })]);
