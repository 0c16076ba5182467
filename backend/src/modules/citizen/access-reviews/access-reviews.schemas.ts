import { Type, type Static } from '@sinclair/typebox';
import { Uuid } from '../../identity/identity.schemas.js';

const Person = Type.Union([Type.Literal('subject'), Type.Literal('guardian')], {
  description: 'Whom the review is about: the subject, or one guardian of the subject (guardianId)',
});
const Decision = Type.Union([Type.Literal('release'), Type.Literal('withhold')], {
  description: '`release`: the person may use the citizen view despite protected identity; `withhold`: only "contact your social worker"',
});
const ReasonCode = Type.Union([
  Type.Literal('no_harm'),
  Type.Literal('harm_risk'),
  Type.Literal('protected_whereabouts'),
  Type.Literal('other_secrecy'),
]);

export const AccessReviewIn = Type.Object(
  {
    person: Person,
    guardianId: Type.Optional(Uuid),
    decision: Decision,
    reasonCode: ReasonCode,
  },
  { additionalProperties: false },
);
export type AccessReviewIn = Static<typeof AccessReviewIn>;

export const AccessReviewOut = Type.Object(
  {
    id: Uuid,
    person: Person,
    guardianId: Type.Union([Uuid, Type.Null()]),
    decision: Decision,
    reasonCode: ReasonCode,
    reviewedAt: Type.String({ format: 'date-time' }),
    reviewedByName: Type.String(),
  },
  { additionalProperties: false },
);
export type AccessReviewOut = Static<typeof AccessReviewOut>;

export const AccessReviewsOut = Type.Object(
  { items: Type.Array(AccessReviewOut, { description: 'Newest first: the newest about each person decides' }) },
  { additionalProperties: false },
);
