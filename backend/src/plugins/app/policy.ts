import fs from 'node:fs';
import path from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import YAML from 'yaml';
import { AGENCY_KINDS, ROLES, type AgencyKind, type Role } from '../../modules/identity/identity.entities.js';

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

export function loadPolicies(dir: string): Policies {
  return { roles: readPolicyFile(dir, 'roles.yaml', RolesPolicy) };
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
}
