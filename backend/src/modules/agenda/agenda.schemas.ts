import { Type, type Static } from '@sinclair/typebox';
import { Uuid } from '../identity/identity.schemas.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const DateOnly = Type.String({ format: 'date' });

/** Where an item leads: the case and the section of its page. */
const CaseRef = {
  caseId: Uuid,
  caseNumber: Nullable(Type.String()),
  /** The person's name, as the case list shows it to this caller. */
  subjectName: Nullable(Type.String()),
  section: Type.Union([
    Type.Literal('plan'),
    Type.Literal('meetings'),
    Type.Literal('consents'),
    Type.Literal('journal'),
    Type.Literal('overview'),
  ]),
};

export const AgendaOut = Type.Object(
  {
    /** The caller's previous sign-in: what "since last visit" counts from (null: none before). */
    since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    /** Plan actions of the caller's agency due within the lead days, or overdue. */
    planActions: Type.Array(
      Type.Object(
        { ...CaseRef, id: Uuid, action: Type.String(), dueDate: DateOnly, overdue: Type.Boolean() },
        { additionalProperties: false },
      ),
    ),
    /** Meetings of the coming two weeks. */
    meetings: Type.Array(
      Type.Object(
        { ...CaseRef, id: Uuid, date: DateOnly, startsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) },
        { additionalProperties: false },
      ),
    ),
    /** The owning unit's consents that end within the reminder lead time. */
    consentsEnding: Type.Array(
      Type.Object({ ...CaseRef, id: Uuid, validTo: DateOnly, daysLeft: Type.Integer() }, { additionalProperties: false }),
    ),
    /** Entries by other agencies since the caller last opened the case. */
    unread: Type.Array(Type.Object({ ...CaseRef, count: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })),
    /** Cases the caller still may see that were closed since its previous sign-in. */
    closedCases: Type.Array(Type.Object({ ...CaseRef, closedAt: Type.String({ format: 'date-time' }) }, { additionalProperties: false })),
    /** Consents naming the caller's agency (or on its own cases) withdrawn since its previous sign-in: a count only, the case may be closed to it now. */
    consentsWithdrawn: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type AgendaOutT = Static<typeof AgendaOut>;
