import { Type } from '@sinclair/typebox';

export const StartQuery = Type.Object(
  {
    /** A citizen page to come back to after signing in (`/citizen/...`); anything else is ignored. */
    returnTo: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** The authorization response the provider sent to the web app, forwarded as it came. */
export const CallbackQuery = Type.Object(
  {
    state: Type.String({ minLength: 1, maxLength: 512 }),
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    iss: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    error: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    error_description: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

export const CitizenSignInOut = Type.Object(
  {
    accessToken: Type.String(),
    /** Seconds: the session's whole lifetime (no refresh). */
    expiresIn: Type.Integer(),
    /** The citizen page the sign-in was started from (`returnTo`), or null. */
    returnTo: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
