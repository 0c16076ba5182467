import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AgencyKindT, RoleT, UserOut, Uuid } from '../identity/identity.schemas.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Email = Type.String({ minLength: 3, maxLength: 254, format: 'email' });
const Subject = Type.String({ minLength: 1, maxLength: 255, pattern: '^\\S+$' });
const Roles = Type.Array(RoleT, { maxItems: 5, uniqueItems: true });
const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, default: 0 })),
};

export const PendingRoleRequestOut = Type.Object({ id: Uuid, rolesAfter: Type.Array(RoleT), requestedBy: Uuid });
/** A move to agency `agencyId` waiting for a second admin; until then the user stays where they are. */
export const PendingAgencyMoveOut = Type.Object({ id: Uuid, agencyId: Uuid, requestedBy: Uuid });

/** A user as the admin sees them: never a password hash, a TOTP secret or a recovery code. */
export const AdminUserOut = Type.Composite([
  UserOut,
  Type.Object({
    active: Type.Boolean(),
    email: Type.Optional(Nullable(Type.String())),
    oidcSubject: Type.Optional(Nullable(Type.String())),
    mfaEnrolled: Type.Optional(Type.Boolean()),
    activeSessions: Type.Optional(Type.Integer()),
    pendingRoleRequest: Type.Optional(Nullable(PendingRoleRequestOut)),
    pendingAgencyMove: Type.Optional(Nullable(PendingAgencyMoveOut)),
  }),
]);
/** The created user, with the one-time initial password: shown this once, changed at first sign-in. */
export const CreatedUserOut = Type.Composite([AdminUserOut, Type.Object({ initialPassword: Type.String() })]);
export const AdminUserPage = Type.Object({ items: Type.Array(AdminUserOut), total: Type.Integer() });

export const UserQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 100 })),
    agencyId: Type.Optional(Uuid),
    role: Type.Optional(RoleT),
    active: Type.Optional(Type.Boolean()),
    ...Paging,
  },
  { additionalProperties: false },
);
export type UserQuery = Static<typeof UserQuery>;

export const AgencyBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), kind: AgencyKindT },
  { additionalProperties: false },
);
/**
 * A new user. Roles a second admin must approve (policies/administration.yaml) are not given at
 * once: the answer's `roles` holds the others, `pendingRoleRequest` the request waiting.
 */
export const UserBody = Type.Object(
  {
    username: Type.String({ pattern: '^[A-Za-z0-9._-]{2,64}$' }),
    displayName: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.Optional(
      Type.String({ minLength: 12, maxLength: 256, description: 'The one-time initial password; without it one is generated' }),
    ),
    agencyId: Uuid,
    roles: Type.Array(RoleT, { minItems: 1, maxItems: 5 }),
  },
  { additionalProperties: false },
);
export type UserBody = Static<typeof UserBody>;

/** A change of a user: a field left out is kept, `email` or `oidcSubject` given as null is cleared. */
export const UserPatchBody = Type.Object(
  {
    displayName: Type.Optional(Name),
    email: Type.Optional(Nullable(Email)),
    agencyId: Type.Optional(Uuid),
    oidcSubject: Type.Optional(Nullable(Subject)),
    roles: Type.Optional(Roles),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UserPatchBody = Static<typeof UserPatchBody>;

export const SessionsEndedOut = Type.Object({ ended: Type.Integer() });

const Token = Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' });
/**
 * The agency's OpenID Connect provider. The client secret is never sent here: `clientSecretRef`
 * names where the server reads it (`env:NAME`, or `file:name` in KEYS_DIR).
 */
export const IdentityProviderBody = Type.Object(
  {
    issuer: Type.String({ maxLength: 500, pattern: '^https?://[^\\s]+$' }),
    clientId: Type.String({ minLength: 1, maxLength: 200, pattern: '^\\S+$' }),
    clientSecretRef: Nullable(Type.String({ pattern: '^(env:[A-Z][A-Z0-9_]{0,99}|file:[A-Za-z0-9._-]{1,100})$' })),
    scopes: Type.Array(Token, { minItems: 1, maxItems: 20, uniqueItems: true }),
    subjectClaim: Type.String({ minLength: 1, maxLength: 100, pattern: '^\\S+$' }),
    acrValues: Type.Array(Token, { maxItems: 20, uniqueItems: true }),
  },
  { additionalProperties: false },
);
export type IdentityProviderBody = Static<typeof IdentityProviderBody>;

export const AgencyPatchBody = Type.Object(
  {
    name: Type.Optional(Name),
    kind: Type.Optional(AgencyKindT),
    areas: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100, uniqueItems: true })),
    localSignIn: Type.Optional(Type.Boolean()),
    identityProvider: Type.Optional(Nullable(IdentityProviderBody)),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type AgencyPatchBody = Static<typeof AgencyPatchBody>;

const IdentityProviderOut = Type.Object({
  issuer: Type.String(),
  clientId: Type.String(),
  clientSecretRef: Nullable(Type.String()),
  scopes: Type.Array(Type.String()),
  subjectClaim: Type.String(),
  acrValues: Type.Array(Type.String()),
});
/** An agency as the admin sees it (the list's fields beyond id, name and kind are optional for older clients). */
export const AdminAgencyOut = Type.Object({
  id: Uuid,
  name: Type.String(),
  kind: AgencyKindT,
  areas: Type.Optional(Type.Array(Type.String())),
  active: Type.Optional(Type.Boolean()),
  localSignIn: Type.Optional(Type.Boolean()),
  identityProvider: Type.Optional(Nullable(IdentityProviderOut)),
  userCount: Type.Optional(Type.Integer()),
});

const UserRef = Type.Object({ id: Uuid, username: Type.String(), displayName: Type.String() });
export const RoleRequestStatusT = Type.Union([
  Type.Literal('pending'),
  Type.Literal('approved'),
  Type.Literal('rejected'),
  Type.Literal('superseded'),
]);
export const RequestKindT = Type.Union([Type.Literal('roles'), Type.Literal('agency_move')]);
const AgencyRef = Type.Object({ id: Uuid, name: Type.String() });
/**
 * A request waiting for a second admin: `kind` `roles` grants `rolesAfter`; `agency_move` moves
 * the user from `agencyBefore` to `agencyAfter` (its roles before and after are the same).
 */
export const RoleRequestOut = Type.Object({
  id: Uuid,
  kind: Type.Optional(RequestKindT),
  agencyBefore: Type.Optional(Nullable(AgencyRef)),
  agencyAfter: Type.Optional(Nullable(AgencyRef)),
  user: Type.Composite([UserRef, Type.Object({ agencyId: Uuid })]),
  rolesBefore: Type.Array(RoleT),
  rolesAfter: Type.Array(RoleT),
  requestedBy: UserRef,
  requestedAt: Type.String({ format: 'date-time' }),
  status: RoleRequestStatusT,
  decidedBy: Nullable(UserRef),
  decidedAt: Nullable(Type.String({ format: 'date-time' })),
});
export const RoleRequestPage = Type.Object({ items: Type.Array(RoleRequestOut), total: Type.Integer() });
export const RoleRequestQuery = Type.Object(
  { status: Type.Optional(Type.Union([RoleRequestStatusT, Type.Literal('all')], { default: 'pending' })), ...Paging },
  { additionalProperties: false },
);
export type RoleRequestQuery = Static<typeof RoleRequestQuery>;

/** The administered values before or after a change; only these fields ever leave the server. */
const ChangeValues = Type.Object({
  username: Type.Optional(Type.String()),
  displayName: Type.Optional(Type.String()),
  email: Type.Optional(Nullable(Type.String())),
  agencyId: Type.Optional(Nullable(Type.String())),
  oidcSubject: Type.Optional(Nullable(Type.String())),
  roles: Type.Optional(Type.Array(Type.String())),
  active: Type.Optional(Type.Boolean()),
  mfaEnrolled: Type.Optional(Type.Boolean()),
  sessionsEnded: Type.Optional(Type.Integer()),
  name: Type.Optional(Type.String()),
  kind: Type.Optional(Type.String()),
  areas: Type.Optional(Type.Array(Type.String())),
  localSignIn: Type.Optional(Type.Boolean()),
  identityProvider: Type.Optional(Nullable(IdentityProviderOut)),
  userId: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  rolesBefore: Type.Optional(Type.Array(Type.String())),
  rolesAfter: Type.Optional(Type.Array(Type.String())),
  agencyBefore: Type.Optional(Type.String()),
  agencyAfter: Type.Optional(Type.String()),
});
export const ChangeOut = Type.Object({
  id: Uuid,
  at: Type.String({ format: 'date-time' }),
  actor: UserRef,
  action: Type.String(),
  resourceType: Type.String(),
  resourceId: Uuid,
  before: Nullable(ChangeValues),
  after: Nullable(ChangeValues),
});
export const ChangePage = Type.Object({ items: Type.Array(ChangeOut), total: Type.Integer() });
export const ChangeQuery = Type.Object({ resourceId: Type.Optional(Uuid), ...Paging }, { additionalProperties: false });
export type ChangeQuery = Static<typeof ChangeQuery>;

export const AdminOptionsOut = Type.Object({ areas: Type.Array(Type.String()), privilegedRoles: Type.Array(RoleT) });
