import { Type, type Static } from '@sinclair/typebox';
import { AgencyKindT, RoleT, UserOut, Uuid } from '../identity/identity.schemas.js';

export const AdminUserOut = Type.Composite([UserOut, Type.Object({ active: Type.Boolean() })]);

export const AgencyBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), kind: AgencyKindT },
  { additionalProperties: false },
);
export const UserBody = Type.Object(
  {
    username: Type.String({ pattern: '^[A-Za-z0-9._-]{2,64}$' }),
    displayName: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: 12, maxLength: 256 }),
    agencyId: Uuid,
    roles: Type.Array(RoleT, { minItems: 1, maxItems: 5 }),
  },
  { additionalProperties: false },
);
export type UserBody = Static<typeof UserBody>;
