import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261127000001Foundation } from './Migration20261127000001Foundation.js';
import { Migration20261127000002Cases } from './Migration20261127000002Cases.js';
import { Migration20261127000004Audit } from './Migration20261127000004Audit.js';
import { Migration20261127000003Consent } from './Migration20261127000003Consent.js';
import { Migration20261127000005CasesPerf } from './Migration20261127000005CasesPerf.js';
import { Migration20261127000006CaseListPages } from './Migration20261127000006CaseListPages.js';
import { Migration20261127000007CaseSearchName } from './Migration20261127000007CaseSearchName.js';
import { Migration20261127000008AuditQueueKey } from './Migration20261127000008AuditQueueKey.js';
import { Migration20261204000011SignInThrottle } from './Migration20261204000011SignInThrottle.js';
import { Migration20261204000031JournalAppendOnly } from './Migration20261204000031JournalAppendOnly.js';
import { Migration20261204000032SecrecyReview } from './Migration20261204000032SecrecyReview.js';
import { Migration20261205001610Documents } from './Migration20261205001610Documents.js';
import { Migration20261205002330CaseNumbersResponsibility } from './Migration20261205002330CaseNumbersResponsibility.js';
import { Migration20261205004000CaseLastSeen } from './Migration20261205004000CaseLastSeen.js';
import { Migration20261205004500MeetingPlanning } from './Migration20261205004500MeetingPlanning.js';
import { Migration20261205005000UserEmailDigest } from './Migration20261205005000UserEmailDigest.js';
import { Migration20261205005500PlanHistoryOutcomes } from './Migration20261205005500PlanHistoryOutcomes.js';
import { Migration20261205005600SessionSignIns } from './Migration20261205005600SessionSignIns.js';
import { Migration20261205010000IdentityAdministration } from './Migration20261205010000IdentityAdministration.js';
import { Migration20261205013000CaseNetworkContacts } from './Migration20261205013000CaseNetworkContacts.js';
import { Migration20261205015000OidcSignInFlow } from './Migration20261205015000OidcSignInFlow.js';
import { Migration20261205016000SignInChallenge } from './Migration20261205016000SignInChallenge.js';
import { Migration20261205018000ScimUsers } from './Migration20261205018000ScimUsers.js';
import { Migration20261205017000AdminChanges } from './Migration20261205017000AdminChanges.js';
import { Migration20261205019000Concerns } from './Migration20261205019000Concerns.js';
import { Migration20261205019500AreaPicture } from './Migration20261205019500AreaPicture.js';

/** Every committed migration, in order. Add new ones at the end. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261127000001Foundation', class: Migration20261127000001Foundation },
  { name: 'Migration20261127000002Cases', class: Migration20261127000002Cases },
  { name: 'Migration20261127000004Audit', class: Migration20261127000004Audit },
  // After the audit migration, which creates the API role this one revokes UPDATE/DELETE from.
  { name: 'Migration20261127000003Consent', class: Migration20261127000003Consent },
  { name: 'Migration20261127000005CasesPerf', class: Migration20261127000005CasesPerf },
  { name: 'Migration20261127000006CaseListPages', class: Migration20261127000006CaseListPages },
  { name: 'Migration20261127000007CaseSearchName', class: Migration20261127000007CaseSearchName },
  { name: 'Migration20261127000008AuditQueueKey', class: Migration20261127000008AuditQueueKey },
  { name: 'Migration20261204000011SignInThrottle', class: Migration20261204000011SignInThrottle },
  { name: 'Migration20261204000031JournalAppendOnly', class: Migration20261204000031JournalAppendOnly },
  { name: 'Migration20261204000032SecrecyReview', class: Migration20261204000032SecrecyReview },
  { name: 'Migration20261205001610Documents', class: Migration20261205001610Documents },
  { name: 'Migration20261205002330CaseNumbersResponsibility', class: Migration20261205002330CaseNumbersResponsibility },
  { name: 'Migration20261205004000CaseLastSeen', class: Migration20261205004000CaseLastSeen },
  { name: 'Migration20261205004500MeetingPlanning', class: Migration20261205004500MeetingPlanning },
  { name: 'Migration20261205005000UserEmailDigest', class: Migration20261205005000UserEmailDigest },
  { name: 'Migration20261205005500PlanHistoryOutcomes', class: Migration20261205005500PlanHistoryOutcomes },
  { name: 'Migration20261205005600SessionSignIns', class: Migration20261205005600SessionSignIns },
  { name: 'Migration20261205010000IdentityAdministration', class: Migration20261205010000IdentityAdministration },
  { name: 'Migration20261205013000CaseNetworkContacts', class: Migration20261205013000CaseNetworkContacts },
  { name: 'Migration20261205015000OidcSignInFlow', class: Migration20261205015000OidcSignInFlow },
  { name: 'Migration20261205016000SignInChallenge', class: Migration20261205016000SignInChallenge },
  { name: 'Migration20261205018000ScimUsers', class: Migration20261205018000ScimUsers },
  { name: 'Migration20261205017000AdminChanges', class: Migration20261205017000AdminChanges },
  { name: 'Migration20261205019000Concerns', class: Migration20261205019000Concerns },
  { name: 'Migration20261205019500AreaPicture', class: Migration20261205019500AreaPicture },
];
