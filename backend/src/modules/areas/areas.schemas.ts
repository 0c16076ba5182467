import { Type, type Static } from '@sinclair/typebox';
import { AgencyKindT, Uuid } from '../identity/identity.schemas.js';

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
// Years 1000–2999 only: a date the database can hold, whatever the date formats let through.
const IsoDate = Type.String({ format: 'date', pattern: '^[12][0-9]{3}-', description: 'YYYY-MM-DD' });
const Timestamp = Type.String({ description: 'ISO 8601 date and time' });

export const AreaParams = Type.Object({ area: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
export const AreaIdParams = Type.Object({ area: Type.String({ minLength: 1, maxLength: 100 }), id: Uuid }, { additionalProperties: false });

export const CategoryOut = Type.Object({ code: Type.String(), sv: Type.String(), en: Type.String() });
export const AreaAgencyOut = Type.Object({ id: Uuid, name: Type.String(), kind: AgencyKindT });

export const MyAreasOut = Type.Object({
  areas: Type.Array(Type.String(), { description: 'The areas the caller’s agency works in' }),
  categories: Type.Array(CategoryOut),
});
export type MyAreasOutT = Static<typeof MyAreasOut>;

const Location = Type.Object(
  { latitude: Type.Number({ minimum: -90, maximum: 90 }), longitude: Type.Number({ minimum: -180, maximum: 180 }) },
  { additionalProperties: false },
);

export const ObservationBody = Type.Object(
  {
    observedAt: Type.String({ format: 'date-time', pattern: '^[12][0-9]{3}-', description: 'When it was seen; not in the future' }),
    place: Text(200),
    location: Type.Optional(Location),
    category: Type.String({ minLength: 1, maxLength: 40, description: 'A code of policies/observation-categories.yaml' }),
    groupSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Approximate number of people' })),
    ageFrom: Type.Optional(Type.Integer({ minimum: 0, maximum: 120 })),
    ageTo: Type.Optional(Type.Integer({ minimum: 0, maximum: 120 })),
    description: Text(4000),
  },
  { additionalProperties: false },
);
export type ObservationBodyT = Static<typeof ObservationBody>;

/** An observation as anyone working in the area sees it: the recording agency, never a person or a case. */
export const ObservationOut = Type.Object({
  id: Uuid,
  area: Type.String(),
  observedAt: Timestamp,
  place: Type.String(),
  location: Type.Union([Location, Type.Null()]),
  category: Type.String(),
  groupSize: Type.Union([Type.Integer(), Type.Null()]),
  ageFrom: Type.Union([Type.Integer(), Type.Null()]),
  ageTo: Type.Union([Type.Integer(), Type.Null()]),
  description: Type.String(),
  agencyName: Type.String(),
  agencyKind: AgencyKindT,
  recordedAt: Timestamp,
});
export type ObservationOutT = Static<typeof ObservationOut>;

export const ObservationsQuery = Type.Object(
  {
    from: Type.Optional(IsoDate),
    to: Type.Optional(IsoDate),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
  },
  { additionalProperties: false },
);
export type ObservationsQueryT = Static<typeof ObservationsQuery>;

export const ObservationPage = Type.Object({
  items: Type.Array(ObservationOut),
  total: Type.Integer(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
});
export type ObservationPageT = Static<typeof ObservationPage>;

export const HideBody = Type.Object({ reason: Text(1000) }, { additionalProperties: false });
export const HiddenOut = Type.Object({ id: Uuid, hidden: Type.Literal(true) });

export const ActionStatusT = Type.Union([Type.Literal('open'), Type.Literal('done'), Type.Literal('cancelled')]);

export const ActionBody = Type.Object(
  {
    what: Text(1000),
    place: Text(200),
    agencyId: Type.String({ format: 'uuid', description: 'The agency that carries it out; one working in the area' }),
    dueDate: IsoDate,
    meetingId: Type.Optional(Type.String({ format: 'uuid', description: 'The group meeting that decided it' })),
  },
  { additionalProperties: false },
);
export type ActionBodyT = Static<typeof ActionBody>;

export const ActionPatchBody = Type.Object(
  { status: Type.Optional(ActionStatusT), followUp: Type.Optional(Type.String({ maxLength: 4000 })) },
  { additionalProperties: false, minProperties: 1 },
);
export type ActionPatchBodyT = Static<typeof ActionPatchBody>;

export const ActionOut = Type.Object({
  id: Uuid,
  area: Type.String(),
  meetingId: Type.Union([Uuid, Type.Null()]),
  what: Type.String(),
  place: Type.String(),
  agencyId: Uuid,
  agencyName: Type.String(),
  dueDate: IsoDate,
  status: ActionStatusT,
  followUp: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Timestamp,
});
export type ActionOutT = Static<typeof ActionOut>;

const Decision = Type.Object({ text: Text(2000) }, { additionalProperties: false });

export const MeetingBody = Type.Object(
  { date: IsoDate, notes: Type.Optional(Type.String({ maxLength: 4000 })) },
  { additionalProperties: false },
);
export type MeetingBodyT = Static<typeof MeetingBody>;

export const MeetingPatchBody = Type.Object(
  {
    status: Type.Optional(Type.Literal('held', { description: 'A planned meeting is held; a held meeting stays held' })),
    notes: Type.Optional(Type.String({ maxLength: 4000 })),
    minutes: Type.Optional(Type.String({ maxLength: 20_000 })),
    decisions: Type.Optional(Type.Array(Decision, { maxItems: 50 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type MeetingPatchBodyT = Static<typeof MeetingPatchBody>;

export const MeetingSummaryOut = Type.Object({
  id: Uuid,
  area: Type.String(),
  date: IsoDate,
  status: Type.Union([Type.Literal('planned'), Type.Literal('held')]),
  notes: Type.Union([Type.String(), Type.Null()]),
  minutes: Type.Union([Type.String(), Type.Null()]),
  decisions: Type.Array(Type.Object({ text: Type.String() })),
  heldAt: Type.Union([Timestamp, Type.Null()]),
});
export type MeetingSummaryOutT = Static<typeof MeetingSummaryOut>;

/**
 * A meeting with its agenda: the observations recorded since the area's previous held meeting,
 * the open group-level actions to follow up, and the actions this meeting decided.
 */
export const MeetingOut = Type.Composite([
  MeetingSummaryOut,
  Type.Object({
    agenda: Type.Object({
      since: Type.Union([Timestamp, Type.Null()], { description: 'When the previous meeting was held (null: none yet)' }),
      observations: Type.Array(ObservationOut),
      openActions: Type.Array(ActionOut),
    }),
    actions: Type.Array(ActionOut),
  }),
]);
export type MeetingOutT = Static<typeof MeetingOut>;

export const PictureQuery = Type.Object({ from: Type.Optional(IsoDate), to: Type.Optional(IsoDate) }, { additionalProperties: false });

/** The area's picture: counts per week and category, open actions, the last meetings, the agencies working there. */
export const PictureOut = Type.Object({
  area: Type.String(),
  from: IsoDate,
  to: IsoDate,
  categories: Type.Array(CategoryOut),
  weeks: Type.Array(Type.Object({ weekStart: IsoDate, category: Type.String(), count: Type.Integer() }), {
    description: 'Visible observations per ISO week (Monday, Stockholm time) and category; weeks without any are absent',
  }),
  openActions: Type.Array(ActionOut),
  meetings: Type.Array(MeetingSummaryOut),
  agencies: Type.Array(AreaAgencyOut),
});
export type PictureOutT = Static<typeof PictureOut>;
