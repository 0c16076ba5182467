import { Type } from '@sinclair/typebox';
import { AGENCY_KINDS, ROLES } from './identity.entities.js';

export const Uuid = Type.String({ format: 'uuid' });
export const RoleT = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const AgencyKindT = Type.Union(AGENCY_KINDS.map((k) => Type.Literal(k)));

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.Optional(Type.String()),
  requestId: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
});

export const UserOut = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  agencyId: Uuid,
  roles: Type.Array(RoleT),
});
export const AgencyOut = Type.Object({ id: Uuid, name: Type.String(), kind: AgencyKindT });

export const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export const LoginOut = Type.Object({
  accessToken: Type.String(),
  expiresIn: Type.Integer(),
  user: UserOut,
  mustChangePassword: Type.Optional(
    Type.Boolean({ description: 'A one-time initial password was used: only POST /me/password is allowed until it is changed' }),
  ),
});
export const SecondStepOut = Type.Object(
  {
    secondFactor: Type.Union([Type.Literal('verify'), Type.Literal('enrol')], {
      description: '`verify`: send a code to POST /auth/mfa; `enrol`: set up TOTP first (POST /auth/mfa/totp), then confirm with a code',
    }),
    challenge: Type.String({ description: 'Single use; no session exists until the second step' }),
    expiresIn: Type.Integer(),
  },
  { description: 'The password was right; a second factor is needed before a session is given' },
);
export const MeOut = Type.Composite([UserOut, Type.Object({ agency: AgencyOut, mustChangePassword: Type.Boolean() })]);

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

/** Standard error answers, for the OpenAPI document. */
const ProblemResponse = { description: 'A problem (RFC 9457)', content: { 'application/problem+json': { schema: Problem } } };
export const errorResponses = (...codes: number[]): Record<number, typeof ProblemResponse> =>
  Object.fromEntries(codes.map((c) => [c, ProblemResponse]));
