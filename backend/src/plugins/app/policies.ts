import { Type, type Static } from '@sinclair/typebox';
import { AnomaliesPolicy, anomaliesPolicyProblems } from '../../modules/audit/audit.anomalies.js';
import { ObservationCategoriesPolicy } from '../../modules/areas/areas.policy.js';
import {
  AreasPolicy,
  CaseOutcomesPolicy,
  caseOutcomesPolicyProblems,
  CategoriesPolicy,
  categoriesPolicyProblems,
  LifeAreasPolicy,
} from '../../modules/cases/cases.policy.js';
import { CitizenPolicy, citizenPolicyProblems } from '../../modules/citizen/citizen.policy.js';
import { ConsentPolicy, consentPolicyProblems } from '../../modules/consents/consent.policy.js';
import { ConcernsPolicy, concernsPolicyProblems } from '../../modules/concerns/concerns.policy.js';
import { RetentionPolicy, retentionPolicyProblems } from '../../modules/retention/retention.policy.js';
import { AGENCY_KINDS, ROLES } from '../../modules/identity/identity.entities.js';
import { AuthenticationPolicy } from '../../modules/identity/second-factor.policy.js';
import { parseDisclosurePolicy, type DisclosurePolicy } from './disclosure.js';
import { policyProblems, readPolicyFile, readRawPolicyFile } from './policy-file.js';

const RoleT = Type.Union(ROLES.map((r) => Type.Literal(r)));
const AgencyKindT = Type.Union(AGENCY_KINDS.map((k) => Type.Literal(k)));
const RoleRule = Type.Object(
  { role: RoleT, agencyKinds: Type.Optional(Type.Array(AgencyKindT, { minItems: 1 })) },
  { additionalProperties: false },
);

/** `policies/roles.yaml`: which role may perform which action. */
export const RolesPolicy = Type.Object(
  { actions: Type.Record(Type.String({ pattern: '^[a-z_]+(\\.[a-z_]+)+$' }), Type.Array(RoleRule)) },
  { additionalProperties: false },
);
export type RolesPolicy = Static<typeof RolesPolicy>;

/** Every rule of `policies/`, read and checked in one place at start. */
export interface Policies {
  roles: RolesPolicy;
  consent: ConsentPolicy;
  categories: CategoriesPolicy;
  disclosure: DisclosurePolicy;
  areas: AreasPolicy;
  lifeAreas: LifeAreasPolicy['lifeAreas'];
  caseOutcomes: CaseOutcomesPolicy;
  anomalies: AnomaliesPolicy;
  authentication: AuthenticationPolicy;
  concerns: ConcernsPolicy;
  observationCategories: ObservationCategoriesPolicy['categories'];
  retention: RetentionPolicy;
  citizen: CitizenPolicy;
}

function load<T extends Parameters<typeof readPolicyFile>[2]>(
  dir: string,
  file: string,
  schema: T,
  problems: (p: Static<T>) => string[],
): Static<T> {
  const p = readPolicyFile(dir, file, schema);
  policyProblems(file, problems(p));
  return p;
}

/** Reads every policy file; throws PolicyError naming the file and the problem. */
export function loadPolicies(dir: string): Policies {
  const roles = readPolicyFile(dir, 'roles.yaml', RolesPolicy);
  const categories = load(dir, 'categories.yaml', CategoriesPolicy, categoriesPolicyProblems);
  const disclosure = parseDisclosurePolicy(readRawPolicyFile(dir, 'disclosure.yaml'), Object.keys(categories.categories));
  if (Array.isArray(disclosure)) policyProblems('disclosure.yaml', disclosure);
  const gated = (disclosure as DisclosurePolicy).gatedActions.filter((a) => !roles.actions[a]);
  policyProblems(
    'disclosure.yaml',
    gated.map((a) => `/gatedActions: '${a}' is not an action of roles.yaml`),
  );
  return {
    roles,
    consent: load(dir, 'consent.yaml', ConsentPolicy, consentPolicyProblems),
    categories,
    disclosure: disclosure as DisclosurePolicy,
    areas: readPolicyFile(dir, 'areas.yaml', AreasPolicy),
    lifeAreas: readPolicyFile(dir, 'life-areas.yaml', LifeAreasPolicy).lifeAreas,
    caseOutcomes: load(dir, 'case-outcomes.yaml', CaseOutcomesPolicy, caseOutcomesPolicyProblems),
    anomalies: load(dir, 'anomalies.yaml', AnomaliesPolicy, anomaliesPolicyProblems),
    authentication: readPolicyFile(dir, 'authentication.yaml', AuthenticationPolicy),
    concerns: load(dir, 'concerns.yaml', ConcernsPolicy, concernsPolicyProblems),
    observationCategories: readPolicyFile(dir, 'observation-categories.yaml', ObservationCategoriesPolicy).categories,
    retention: load(dir, 'retention.yaml', RetentionPolicy, retentionPolicyProblems),
    citizen: load(dir, 'citizen.yaml', CitizenPolicy, citizenPolicyProblems),
  };
}
