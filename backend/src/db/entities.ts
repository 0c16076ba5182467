import { AgencySchema, SessionSchema, UserSchema } from '../modules/identity/identity.entities.js';

/** Every entity schema the ORM knows. Modules add theirs here. */
export const entities = [AgencySchema, UserSchema, SessionSchema];
