import { Type, type Static } from '@sinclair/typebox';
import type { AgencyKind, Role } from '../identity/identity.entities.js';

export const CONCERN_VIEWS = ['intake', 'coordinator', 'reporter'] as const;
export type ConcernView = (typeof CONCERN_VIEWS)[number];
export const URGENCIES = ['acute', 'urgent', 'normal'] as const;
export type Urgency = (typeof URGENCIES)[number];
export const CONCERN_FIELDS = [
  'id',
  'reference',
  'status',
  'statusChangedAt',
  'createdAt',
  'area',
  'urgency',
  'person',
  'observation',
  'observedOn',
  'observedPlace',
  'assessment',
  'guardiansInformed',
  'reporter',
  'reporterAgencyKind',
  'decision',
  'decisionReason',
  'caseId',
  'marker',
  'protectedIdentity',
] as const;
export type ConcernField = (typeof CONCERN_FIELDS)[number];

const ViewT = Type.Union(CONCERN_VIEWS.map((v) => Type.Literal(v)));
const FieldList = Type.Array(Type.Union(CONCERN_FIELDS.map((f) => Type.Literal(f))), { uniqueItems: true });

/** `policies/concerns.yaml`: which view of a concern each action allows, and what each view shows. */
export const ConcernsPolicy = Type.Object(
  {
    access: Type.Record(Type.String({ pattern: '^concern\\.[a-z_]+$' }), Type.Array(ViewT, { uniqueItems: true })),
    views: Type.Object({ intake: FieldList, coordinator: FieldList, reporter: FieldList }, { additionalProperties: false }),
    protectedWithheld: FieldList,
    urgencies: Type.Array(Type.Union(URGENCIES.map((u) => Type.Literal(u))), { minItems: 3, maxItems: 3, uniqueItems: true }),
  },
  { additionalProperties: false },
);
export type ConcernsPolicy = Static<typeof ConcernsPolicy>;

/** A decision about a concern; its reason names the view (the decision point's own Decision shape). */
export interface ConcernDecision {
  allow: boolean;
  reason: string;
}

/** The caller as the concern rule sees it. */
export interface ConcernActor {
  roles: readonly Role[];
  agencyKind: AgencyKind;
  id: string;
  /** The areas the caller's agency works in (`agency.areas`). */
  areas: readonly string[];
}

/** What the rule needs to know about one concern; absent for a list (the scope is decided, not a row). */
export interface ConcernFacts {
  reporterUserId: string;
  area: string;
}

/** Which views the actor could be given at all, in the order they apply. */
function candidateViews(actor: ConcernActor, facts: ConcernFacts | null): ConcernView[] {
  const views: ConcernView[] = [];
  if (actor.agencyKind === 'social_services' && actor.roles.includes('social_worker') && (!facts || actor.areas.includes(facts.area)))
    views.push('intake');
  if (actor.roles.includes('coordinator')) views.push('coordinator');
  if (actor.agencyKind !== 'social_services' && actor.roles.includes('partner') && (!facts || facts.reporterUserId === actor.id))
    views.push('reporter');
  return views;
}

/**
 * Object-level access to concerns, after the role gate: the first view of `policies/concerns.yaml`
 * that the action allows and the actor qualifies for. The decision's reason names the view. For a
 * list (`facts` null) it decides the scope: intake → the areas of the caller's agency; reporter →
 * the caller's own concerns; coordinator → all.
 */
export function decideConcern(policy: ConcernsPolicy, actor: ConcernActor, action: string, facts: ConcernFacts | null): ConcernDecision {
  const allowed = Object.hasOwn(policy.access, action) ? policy.access[action]! : [];
  const view = candidateViews(actor, facts).find((v) => allowed.includes(v));
  return view ? { allow: true, reason: view } : { allow: false, reason: 'not_recipient' };
}

/** `value` as `view` may see it: the view's fields only, and for a protected person not those withheld outside the intake. */
export function shapeConcern<T extends object>(policy: ConcernsPolicy, view: ConcernView, value: T, protectedPerson: boolean): Partial<T> {
  const fields = new Set<string>(policy.views[view]);
  if (protectedPerson && view !== 'intake') for (const f of policy.protectedWithheld) fields.delete(f);
  return Object.fromEntries(Object.entries(value).filter(([k]) => fields.has(k))) as Partial<T>;
}

/** Problems a loaded concerns policy has that its schema cannot see. */
export function concernsPolicyProblems(p: ConcernsPolicy): string[] {
  const out: string[] = [];
  for (const v of CONCERN_VIEWS)
    for (const f of ['id', 'reference', 'status'] as const) if (!p.views[v].includes(f)) out.push(`/views/${v}: must show ${f}`);
  if (p.protectedWithheld.some((f) => ['id', 'reference', 'status'].includes(f)))
    out.push('/protectedWithheld: id, reference and status are always shown');
  return out;
}
