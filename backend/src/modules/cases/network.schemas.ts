import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Uuid } from '../identity/identity.schemas.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Text = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Phone = Type.String({ minLength: 1, maxLength: 40, pattern: '^[0-9+() -]*[0-9][0-9+() -]*$' });
const Email = Type.String({ minLength: 3, maxLength: 254, format: 'email' });

export const NetworkParams = Type.Object({ id: Uuid, agencyId: Uuid }, { additionalProperties: false });

/** A change of one agency's contact: a field given as null is cleared, one left out is kept. */
export const UpdateContactBody = Type.Object(
  {
    contactName: Type.Optional(Nullable(Text)),
    contactRole: Type.Optional(Nullable(Text)),
    contactPhone: Type.Optional(Nullable(Phone)),
    contactEmail: Type.Optional(Nullable(Email)),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateContactBody = Static<typeof UpdateContactBody>;

/**
 * One agency of the network around the person (the owning agency first, then the participants)
 * and the staff member to contact there. Contact fields are null until someone fills them in.
 */
export const NetworkContactOut = Type.Object({
  agencyId: Uuid,
  agencyName: Type.String(),
  agencyKind: Type.String(),
  /** The owning agency of the case. */
  owner: Type.Boolean(),
  contactName: Nullable(Type.String()),
  contactRole: Nullable(Type.String()),
  contactPhone: Nullable(Type.String()),
  contactEmail: Nullable(Type.String()),
  updatedAt: Nullable(Type.String({ format: 'date-time' })),
});
export type NetworkContactOut = Static<typeof NetworkContactOut>;
