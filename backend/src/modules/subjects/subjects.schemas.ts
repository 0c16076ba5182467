import { Type, type Static } from '@sinclair/typebox';
import { Uuid } from '../identity/identity.schemas.js';
import { PROTECTED_IDENTITY } from './subjects.entities.js';

/** A name: 1–100 characters with at least one that is not white space. */
export const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
export const PersonalIdentityNumberIn = Type.String({
  minLength: 10,
  maxLength: 13,
  description: 'Personnummer or samordningsnummer: YYYYMMDD-NNNN, YYYYMMDDNNNN, YYMMDD-NNNN, YYMMDDNNNN; + for age 100+',
});
export const ProtectedIdentityT = Type.Union(PROTECTED_IDENTITY.map((p) => Type.Literal(p)));
const Phone = Type.String({ minLength: 1, maxLength: 40, pattern: '^[0-9+() -]+$' });
const Email = Type.String({ minLength: 3, maxLength: 254, format: 'email' });
const Address = Type.String({ minLength: 1, maxLength: 500 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const GuardianIn = Type.Object(
  {
    firstName: Name,
    lastName: Name,
    personalIdentityNumber: Type.Optional(Nullable(PersonalIdentityNumberIn)),
    custody: Type.Boolean(),
    /** The guardian's own protected identity; never lowered by a later case. Default none. */
    protectedIdentity: Type.Optional(ProtectedIdentityT),
    phone: Type.Optional(Nullable(Phone)),
    email: Type.Optional(Nullable(Email)),
    address: Type.Optional(Nullable(Address)),
  },
  { additionalProperties: false },
);
export type GuardianIn = Static<typeof GuardianIn>;

export const SubjectIn = Type.Object(
  {
    personalIdentityNumber: PersonalIdentityNumberIn,
    firstName: Name,
    lastName: Name,
    protectedIdentity: Type.Optional(ProtectedIdentityT),
    phone: Type.Optional(Nullable(Phone)),
    email: Type.Optional(Nullable(Email)),
    address: Type.Optional(Nullable(Address)),
    guardians: Type.Optional(Type.Array(GuardianIn, { maxItems: 6 })),
  },
  { additionalProperties: false },
);
export type SubjectIn = Static<typeof SubjectIn>;

export const GuardianOut = Type.Object({
  id: Uuid,
  firstName: Type.String(),
  lastName: Type.String(),
  personalIdentityNumber: Nullable(Type.String()),
  custody: Type.Boolean(),
  protectedIdentity: ProtectedIdentityT,
  phone: Nullable(Type.String()),
  email: Nullable(Type.String()),
  address: Nullable(Type.String()),
});

/** The subject as the owning social services unit sees it. */
export const SubjectOut = Type.Object({
  id: Uuid,
  personalIdentityNumber: Type.String(),
  birthDate: Type.String({ format: 'date' }),
  coordinationNumber: Type.Boolean(),
  firstName: Type.String(),
  lastName: Type.String(),
  protectedIdentity: ProtectedIdentityT,
  phone: Nullable(Type.String()),
  email: Nullable(Type.String()),
  address: Nullable(Type.String()),
  guardians: Type.Array(GuardianOut),
});
