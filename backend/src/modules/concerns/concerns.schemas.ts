import { Type, type Static } from '@sinclair/typebox';
import { AgencyKindT, Uuid } from '../identity/identity.schemas.js';
import { Name, PersonalIdentityNumberIn } from '../subjects/subjects.schemas.js';
import { URGENCIES } from './concerns.policy.js';

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });
const DateOnly = Type.String({ format: 'date' });
const Timestamp = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
export const UrgencyT = Type.Union(URGENCIES.map((u) => Type.Literal(u)));
export const ConcernStatusT = Type.Union([Type.Literal('received'), Type.Literal('being_assessed'), Type.Literal('closed')]);
export type ConcernStatus = Static<typeof ConcernStatusT>;
export const TriageDecisionT = Type.Union([Type.Literal('link'), Type.Literal('open_case'), Type.Literal('no_action')]);
export type TriageDecision = Static<typeof TriageDecisionT>;

// ---- inputs -------------------------------------------------------------------------------

/** The person: a personnummer (or samordningsnummer), or, when it is unknown, name and birth date. */
export const ConcernPersonIn = Type.Object(
  {
    personalIdentityNumber: Type.Optional(PersonalIdentityNumberIn),
    firstName: Type.Optional(Name),
    lastName: Type.Optional(Name),
    birthDate: Type.Optional(Type.String({ format: 'date', description: 'Needed when the personal identity number is unknown' })),
  },
  { additionalProperties: false },
);

export const RaiseConcernBody = Type.Object(
  {
    person: ConcernPersonIn,
    area: Type.String({ minLength: 1, maxLength: 100, description: "One of the reporter agency's areas (policies/areas.yaml)" }),
    observation: Text(5000),
    observedOn: Type.String({ format: 'date', description: 'When it was observed; not in the future' }),
    observedPlace: Text(300),
    assessment: Text(5000),
    guardiansInformed: Type.Boolean(),
    contact: Type.Object(
      {
        phone: Type.Optional(Type.String({ minLength: 1, maxLength: 40, pattern: '^[0-9+() -]+$' })),
        email: Type.Optional(Type.String({ minLength: 3, maxLength: 254, format: 'email' })),
      },
      { additionalProperties: false, description: "The reporter's phone or e-mail (at least one)" },
    ),
    urgency: UrgencyT,
  },
  { additionalProperties: false },
);
export type RaiseConcernBody = Static<typeof RaiseConcernBody>;

export const ConcernParams = Type.Object({ id: Uuid }, { additionalProperties: false });

export const ConcernListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Literal('open'), Type.Literal('closed'), Type.Literal('all')], {
        default: 'open',
        description: 'open: received and being assessed',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, default: 0 })),
  },
  { additionalProperties: false },
);
export type ConcernListQuery = Static<typeof ConcernListQuery>;

export const TriageBody = Type.Object(
  {
    decision: TriageDecisionT,
    caseId: Type.Optional(Uuid),
    reason: Text(2000),
    caseType: Type.Optional(
      Type.Union([Type.Literal('sspf'), Type.Literal('avhoppare')], { description: 'open_case: the new case type (default sspf)' }),
    ),
    person: Type.Optional(
      Type.Object(
        { personalIdentityNumber: Type.Optional(PersonalIdentityNumberIn), firstName: Type.Optional(Name), lastName: Type.Optional(Name) },
        { additionalProperties: false, description: 'open_case: what the concern lacks to open a case (the number, the names)' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type TriageBody = Static<typeof TriageBody>;

// ---- outputs ------------------------------------------------------------------------------

/**
 * A concern. Which fields a caller gets is decided by `policies/concerns.yaml` (its view): the
 * reporter only the reference, status and dates.
 */
export const ConcernOut = Type.Object({
  id: Uuid,
  reference: Type.String(),
  status: ConcernStatusT,
  statusChangedAt: Timestamp,
  createdAt: Timestamp,
  area: Type.Optional(Type.String()),
  urgency: Type.Optional(UrgencyT),
  person: Type.Optional(
    Type.Object({
      personalIdentityNumber: Nullable(Type.String()),
      firstName: Nullable(Type.String()),
      lastName: Nullable(Type.String()),
      birthDate: DateOnly,
    }),
  ),
  observation: Type.Optional(Type.String()),
  observedOn: Type.Optional(DateOnly),
  observedPlace: Type.Optional(Type.String()),
  assessment: Type.Optional(Type.String()),
  guardiansInformed: Type.Optional(Type.Boolean()),
  reporter: Type.Optional(
    Type.Object({
      name: Type.String(),
      agencyName: Type.String(),
      agencyKind: AgencyKindT,
      phone: Nullable(Type.String()),
      email: Nullable(Type.String()),
    }),
  ),
  reporterAgencyKind: Type.Optional(AgencyKindT),
  decision: Type.Optional(Nullable(TriageDecisionT)),
  decisionReason: Type.Optional(Nullable(Type.String())),
  caseId: Type.Optional(Nullable(Uuid)),
  marker: Type.Optional(
    Type.Object({
      hasCase: Type.Boolean({ description: 'The person already has a case of this unit' }),
      earlierConcerns: Type.Integer({ description: "Earlier concerns about the person in the unit's areas" }),
    }),
  ),
  protectedIdentity: Type.Optional(Type.Boolean({ description: 'A recorded subject with this identity has protected identity' })),
});
export type ConcernOut = Static<typeof ConcernOut>;

export const ConcernPage = Type.Object({
  view: Type.Union([Type.Literal('intake'), Type.Literal('coordinator'), Type.Literal('reporter')]),
  items: Type.Array(ConcernOut),
  nextOffset: Nullable(Type.Integer()),
});

export const TriageOut = Type.Object({ concern: ConcernOut, caseId: Nullable(Uuid) });

/** The form's choices: the areas of the caller's agency (policies/areas.yaml) and the urgencies, most urgent first. */
export const ConcernOptionsOut = Type.Object({ areas: Type.Array(Type.String()), urgencies: Type.Array(UrgencyT) });
