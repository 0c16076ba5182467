import { AgencySchema, SessionSchema, UserSchema } from '../modules/identity/identity.entities.js';
import { caseEntities } from '../modules/cases/cases.entities.js';
import { consentEntities } from '../modules/consents/consents.entities.js';
import { GuardianSchema, SubjectSchema } from '../modules/subjects/subjects.entities.js';

/** Every entity schema the ORM knows. Modules add theirs here. */
export const entities = [AgencySchema, UserSchema, SessionSchema, SubjectSchema, GuardianSchema, ...caseEntities, ...consentEntities];
