import { Type } from '@sinclair/typebox';
import { Uuid } from '../identity.schemas.js';

export const ProvidersOut = Type.Object({
  /** Agencies whose staff sign in through their own provider ("Logga in med <organisation>"). */
  providers: Type.Array(Type.Object({ agencyId: Uuid, name: Type.String() })),
  /** Whether any active agency still lets its users sign in with a local password. */
  localSignIn: Type.Boolean(),
});

export const StartParams = Type.Object({ agencyId: Uuid }, { additionalProperties: false });

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
