import { Type, type Static } from '@sinclair/typebox';
import { ROLES, type Role } from '../identity/identity.entities.js';

/** `policies/administration.yaml`: which roles, and whether agency moves, a second admin must approve. */
export const AdministrationPolicy = Type.Object(
  {
    fourEyes: Type.Object(
      {
        privilegedRoles: Type.Array(Type.Union(ROLES.map((r) => Type.Literal(r))), { uniqueItems: true }),
        agencyMoves: Type.Optional(Type.Boolean({ description: 'Agency moves wait for a second admin; absent means true' })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type AdministrationPolicy = Static<typeof AdministrationPolicy>;

/** What a change of roles does: refused, or the roles that hold now and those waiting for approval. */
export type RoleChangePlan = { kind: 'refused'; reason: 'own_roles' } | { kind: 'apply'; roles: Role[]; pending: Role[] | null };

const ordered = (roles: Iterable<Role>): Role[] => {
  const set = new Set(roles);
  return ROLES.filter((r) => set.has(r));
};

/**
 * `before` → `requested`, changed by admin `actorId` for user `userId`. Removals and
 * non-privileged additions hold at once; privileged additions wait: `pending` is then the whole
 * role set the user will have once a second admin approves.
 */
export function planRoleChange(
  policy: AdministrationPolicy,
  change: { actorId: string; userId: string; before: readonly Role[]; requested: readonly Role[] },
): RoleChangePlan {
  const requested = ordered(change.requested);
  const before = ordered(change.before);
  const changed = requested.length !== before.length || requested.some((r) => !before.includes(r));
  if (changed && change.actorId === change.userId) return { kind: 'refused', reason: 'own_roles' };
  const privileged = policy.fourEyes.privilegedRoles;
  const waiting = requested.filter((r) => !before.includes(r) && privileged.includes(r));
  const now = requested.filter((r) => !waiting.includes(r));
  return { kind: 'apply', roles: now, pending: waiting.length ? requested : null };
}

/**
 * A move of a user from agency `before` to `requested`: nothing to do, at once, or waiting for a
 * second admin (the default: a move changes which cases the user sees, like a privileged role).
 */
export function planAgencyMove(
  policy: AdministrationPolicy,
  move: { before: string; requested: string },
): 'unchanged' | 'at_once' | 'pending' {
  if (move.before === move.requested) return 'unchanged';
  return policy.fourEyes.agencyMoves === false ? 'at_once' : 'pending';
}

/** May admin `actorId` approve or reject a request made by `requestedBy` for user `userId`? */
export function decisionAllowed(
  request: { requestedBy: string; userId: string },
  actorId: string,
): 'allowed' | 'own_request' | 'own_roles' {
  if (request.requestedBy === actorId) return 'own_request';
  if (request.userId === actorId) return 'own_roles';
  return 'allowed';
}
