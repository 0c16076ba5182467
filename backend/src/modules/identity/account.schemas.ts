import { Type } from '@sinclair/typebox';
import { LoginOut, Uuid } from './identity.schemas.js';
import { PASSWORD_MAX_LENGTH } from './password-policy.js';

const Code = Type.String({ minLength: 1, maxLength: 12, description: 'The 6-digit code the authenticator app shows' });
const RecoveryCode = Type.String({ minLength: 1, maxLength: 40, description: 'One of the one-time recovery codes' });

export const SecondStepBody = Type.Object(
  {
    challenge: Type.String({ minLength: 1, maxLength: 100 }),
    code: Type.Optional(Code),
    recoveryCode: Type.Optional(RecoveryCode),
  },
  { additionalProperties: false, description: 'Exactly one of `code` and `recoveryCode` (an enrolment challenge takes a code only)' },
);
export const SecondStepSessionOut = Type.Composite([
  LoginOut,
  Type.Object({
    recoveryCodes: Type.Optional(Type.Array(Type.String(), { description: 'Only right after enrolment, and only this once' })),
  }),
]);
export const ChallengeBody = Type.Object({ challenge: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
export const EnrolmentOut = Type.Object({
  otpauthUri: Type.String({ description: 'otpauth://totp/… for the authenticator app' }),
  qrDataUrl: Type.String({ description: 'The same URI as a QR code (data:image/png;base64,…)' }),
});

export const PasswordChangeBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
    newPassword: Type.String({
      minLength: 1,
      maxLength: PASSWORD_MAX_LENGTH + 1,
      description: 'At least 12 characters, not a common password',
    }),
  },
  { additionalProperties: false },
);
export const EnrolStartBody = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'The current password again' }) },
  { additionalProperties: false },
);
export const EnrolConfirmBody = Type.Object({ code: Code }, { additionalProperties: false });
export const RecoveryCodesOut = Type.Object({ recoveryCodes: Type.Array(Type.String()) });
export const SecondFactorStatusOut = Type.Object({
  enrolled: Type.Boolean(),
  required: Type.Boolean({ description: 'policies/authentication.yaml requires a second factor for the caller' }),
  confirmedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  recoveryCodesLeft: Type.Integer(),
});
export const OwnSessionOut = Type.Object({
  id: Uuid,
  createdAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  current: Type.Boolean({ description: 'The session this request came with' }),
});
