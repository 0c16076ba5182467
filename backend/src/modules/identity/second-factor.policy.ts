import { Type, type Static } from '@sinclair/typebox';
import { ROLES, type Role } from './identity.entities.js';

/** `policies/authentication.yaml`: which roles must give a second factor at local sign-in. */
export const AuthenticationPolicy = Type.Object(
  {
    secondFactor: Type.Object(
      { requiredForRoles: Type.Array(Type.Union(ROLES.map((r) => Type.Literal(r))), { uniqueItems: true }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type AuthenticationPolicy = Static<typeof AuthenticationPolicy>;

/** What a local sign-in still needs once the password was right. */
export type SecondFactorStep = 'none' | 'verify' | 'enrol';

export interface SecondFactorSubject {
  roles: readonly Role[];
  /** Demo users only: the requirement is waived. */
  mfaExempt: boolean;
  /** A confirmed TOTP factor exists. */
  enrolled: boolean;
}

/**
 * An enrolled factor is always asked for (an exemption waives the requirement, not a factor the
 * user chose); otherwise a role listed in the policy makes enrolment the only way in.
 */
export function secondFactorStep(policy: AuthenticationPolicy, user: SecondFactorSubject): SecondFactorStep {
  if (user.enrolled) return 'verify';
  if (user.mfaExempt) return 'none';
  return user.roles.some((r) => policy.secondFactor.requiredForRoles.includes(r)) ? 'enrol' : 'none';
}
