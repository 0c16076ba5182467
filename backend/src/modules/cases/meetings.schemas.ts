import { Type, type Static } from '@sinclair/typebox';
import { Uuid } from '../identity/identity.schemas.js';
import { MeetingDecisionIn, MeetingOut, MeetingPlace, MeetingStatusT, StaffNames } from './cases.schemas.js';

const DateOnly = Type.String({ format: 'date' });
const Timestamp = Type.String({ format: 'date-time' });

export const MeetingParams = Type.Object({ id: Uuid, meetingId: Uuid }, { additionalProperties: false });

/**
 * A change of a planned meeting: move it (times, place, invitations, agenda), cancel it
 * (`status: 'cancelled'`), or hold it (`status: 'held'` with attendance, minutes and decisions).
 * A held or cancelled meeting no longer changes (409).
 */
export const UpdateMeetingBody = Type.Object(
  {
    startsAt: Type.Optional(Timestamp),
    endsAt: Type.Optional(Timestamp),
    place: Type.Optional(MeetingPlace),
    agencyIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 20, uniqueItems: true })),
    invitees: Type.Optional(StaffNames),
    agenda: Type.Optional(Type.String({ maxLength: 20000 })),
    status: Type.Optional(MeetingStatusT),
    attendance: Type.Optional(
      Type.Object(
        { agencyIds: Type.Array(Uuid, { maxItems: 20, uniqueItems: true }), people: Type.Optional(StaffNames) },
        { additionalProperties: false },
      ),
    ),
    minutes: Type.Optional(Type.String({ maxLength: 20000 })),
    decisions: Type.Optional(Type.Array(MeetingDecisionIn, { maxItems: 50 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateMeetingBody = Static<typeof UpdateMeetingBody>;

/** The longest calendar window, in days (a month view with the weeks around it). */
export const CALENDAR_MAX_DAYS = 62;

export const CalendarQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date', description: 'First day (Swedish calendar); default today' })),
    to: Type.Optional(
      Type.String({
        format: 'date',
        description: `Last day, inclusive; default four weeks after \`from\`; at most ${CALENDAR_MAX_DAYS} days after it`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type CalendarQuery = Static<typeof CalendarQuery>;

export const CalendarItemOut = Type.Object({
  caseId: Uuid,
  caseNumber: Type.Union([Type.String(), Type.Null()]),
  meeting: MeetingOut,
});
export const CalendarOut = Type.Object({ from: DateOnly, to: DateOnly, items: Type.Array(CalendarItemOut) });
