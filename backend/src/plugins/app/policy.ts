import fs from 'node:fs';
import path from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import YAML from 'yaml';
import { AGENCY_KINDS, ROLES, type AgencyKind, type Role } from '../../modules/identity/identity.entities.js';
import { ConsentPolicy, consentPolicyProblems } from '../../modules/consents/consent.policy.js';
import { prepareGate, type GateEvaluator, type GateFacts } from '../../modules/consents/gate.js';
import { loadCategoriesPolicy, type CategoriesPolicy } from '../../modules/cases/cases.policy.js';

const RoleT = Type.Union(ROLES.map((r) => Type.Literal(r)));
const AgencyKindT = Type.Union(AGENCY_KINDS.map((k) => Type.Literal(k)));

const RoleRule = Type.Object({ role: RoleT, agencyKinds: Type.Optional(Type.Array(AgencyKindT, { minItems: 1 })) }, { additionalProperties: false });
export const RolesPolicy = Type.Object(
  { actions: Type.Record(Type.String({ pattern: '^[a-z_]+(\\.[a-z_]+)+$' }), Type.Array(RoleRule)) },
  { additionalProperties: false },
);
export type RolesPolicy = Static<typeof RolesPolicy>;

export interface Policies {
  roles: RolesPolicy;
  consent: ConsentPolicy;
  categories: CategoriesPolicy;
}

export class PolicyError extends Error {}

export function readPolicyFile<T extends TSchema>(dir: string, file: string, schema: T): Static<T> {
  const full = path.join(dir, file);
  let parsed: unknown;
  try {
    parsed = YAML.parse(fs.readFileSync(full, 'utf8'));
  } catch (e) {
    throw new PolicyError(`policies/${file}: cannot be read: ${(e as Error).message}`);
  }
  const errors = [...Value.Errors(schema, parsed)];
  if (errors.length > 0) {
    throw new PolicyError(`policies/${file} is invalid:\n${errors.slice(0, 10).map((e) => `  ${e.path || '/'}: ${e.message}`).join('\n')}`);
  }
  return parsed as Static<T>;
}

function loadConsentPolicy(dir: string): ConsentPolicy {
  const consent = readPolicyFile(dir, 'consent.yaml', ConsentPolicy);
  const problems = consentPolicyProblems(consent);
  if (problems.length > 0) throw new PolicyError(`policies/consent.yaml is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return consent;
}

export function loadPolicies(dir: string): Policies {
  return { roles: readPolicyFile(dir, 'roles.yaml', RolesPolicy), consent: loadConsentPolicy(dir), categories: loadCategoriesPolicy(dir) };
}

export interface Decision {
  allow: boolean;
  /** Machine-readable reason, recorded in the audit trail. */
  reason: string;
}

/** The subject of a role decision: just what the rule needs to know about the caller. */
export interface RoleSubject {
  roles: readonly Role[];
  agencyKind: AgencyKind;
}

/** The caller as the case-access rule sees it. */
export interface CaseActor extends RoleSubject {
  agencyId: string;
}

/** What the case-access rule needs to know about the case. */
export interface CaseAccessFacts {
  ownerAgencyId: string;
}

export const allow = (reason: string): Decision => ({ allow: true, reason });
export const deny = (reason: string): Decision => ({ allow: false, reason });

/** The one policy decision point. Default deny: what the policies do not allow is refused. */
export class PolicyDecisionPoint {
  constructor(readonly policies: Policies) {}

  /** May an actor with these roles, in an agency of this kind, perform `action` at all? */
  roleAllows(actor: RoleSubject, action: string): Decision {
    const rules = this.policies.roles.actions[action];
    if (!rules) return deny('unknown_action');
    const ok = rules.some((r) => actor.roles.includes(r.role) && (!r.agencyKinds || r.agencyKinds.includes(actor.agencyKind)));
    return ok ? allow('role') : deny('role');
  }

  /**
   * The consent gate for one case at one instant (`policies/consent.yaml`): every exchange of
   * information between agencies is decided by `decide({ fromAgencyId, toAgencyId, category })`.
   * Build it per request from freshly read consents, so a withdrawal counts on the next request.
   */
  consentGate(facts: GateFacts): GateEvaluator {
    return prepareGate(this.policies.consent, facts);
  }

  /**
   * Object-level access to one case: the role must allow the action, and then only social
   * workers of the owning social services agency are allowed (`owner`). Everyone else is denied
   * with `not_owner` (or `role`); callers answer such a denial exactly like a missing case.
   * Partners will be let in through the consent gate where this denies with `not_owner` (see
   * CasesService.loadCaseForActor, the one place reads go through).
   */
  caseAccess(actor: CaseActor, action: string, facts: CaseAccessFacts): Decision {
    const role = this.roleAllows(actor, action);
    if (!role.allow) return role;
    const owner = actor.agencyId === facts.ownerAgencyId && actor.agencyKind === 'social_services' && actor.roles.includes('social_worker');
    return owner ? allow('owner') : deny('not_owner');
  }

  /** May a user of this kind of agency author information of this category (`policies/categories.yaml`)? */
  mayAuthorCategory(actor: Pick<RoleSubject, 'agencyKind'>, category: string): Decision {
    const c = Object.hasOwn(this.policies.categories.categories, category) ? this.policies.categories.categories[category] : undefined;
    if (!c) return deny('unknown_category');
    return c.authors.includes(actor.agencyKind) ? allow('category_author') : deny('category_author');
  }
}
