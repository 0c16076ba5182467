import type { AgencyKind, Role } from '../../modules/identity/identity.entities.js';
import { prepareGate, type GateEvaluator, type GateFacts } from '../../modules/consents/gate.js';
import { CaseView, shapeItems, shapeView, type CaseViewer, type ViewDecision } from './disclosure.js';
import type { Policies } from './policies.js';
import {
  decideConcern,
  shapeConcern,
  type ConcernActor,
  type ConcernFacts,
  type ConcernView,
} from '../../modules/concerns/concerns.policy.js';

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
  /** Agencies taking part besides the owner (absent: none). */
  participantAgencyIds?: readonly string[];
}

export const allow = (reason: string): Decision => ({ allow: true, reason });
export const deny = (reason: string): Decision => ({ allow: false, reason });

/** `caseAccess`'s answer for a participant's gated action: ask again with the case's consent gate. */
export const CONSENT_REQUIRED = 'consent_required';

/**
 * The one policy decision point. Default deny: what the policies do not allow is refused. It
 * decides who may act on a case, what crosses between agencies (the consent gate), and what of
 * every answer about a case a caller may see, field by field (`view`, `shape`).
 */
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
   * Object-level access to one case: the role must allow the action; then social workers of the
   * owning social services agency are allowed (`owner`). A participating agency's gated action
   * (`policies/disclosure.yaml`: gatedActions) answers CONSENT_REQUIRED: the caller asks again
   * with `caseAccessThroughConsent`. Everyone else is denied (`not_owner`); callers answer a
   * denial exactly like a missing case.
   */
  caseAccess(actor: CaseActor, action: string, facts: CaseAccessFacts): Decision {
    const role = this.roleAllows(actor, action);
    if (!role.allow) return role;
    if (actor.agencyId === facts.ownerAgencyId) {
      return actor.agencyKind === 'social_services' && actor.roles.includes('social_worker') ? allow('owner') : deny('not_owner');
    }
    const participant = facts.participantAgencyIds?.includes(actor.agencyId) ?? false;
    return participant && this.policies.disclosure.gatedActions.includes(action) ? deny(CONSENT_REQUIRED) : deny('not_owner');
  }

  /**
   * The group level (an area's picture, no case and no person): the role must allow the action,
   * and the caller's agency must work in the area (`agency.areas`).
   */
  areaAccess(actor: RoleSubject, action: string, facts: { area: string; agencyAreas: readonly string[] }): Decision {
    const role = this.roleAllows(actor, action);
    if (!role.allow) return role;
    return facts.agencyAreas.includes(facts.area) ? allow('works_in_area') : deny('not_in_area');
  }

  /** A participant's gated action: allowed while identity crosses from the owner to its agency. */
  caseAccessThroughConsent(
    actor: CaseActor,
    action: string,
    facts: CaseAccessFacts,
    gate: GateEvaluator,
  ): Decision & { consentIds: readonly string[] } {
    const first = this.caseAccess(actor, action, facts);
    if (first.reason !== CONSENT_REQUIRED) return { ...first, consentIds: [] };
    const d = gate.decide({ fromAgencyId: facts.ownerAgencyId, toAgencyId: actor.agencyId, category: 'identity' });
    return d.allow ? { ...allow('consent'), consentIds: d.consentIds } : { ...deny(d.reason), consentIds: [] };
  }

  /**
   * Whose contact in a case's network may the caller change, once `access` let it act on the case
   * (`case.network.write`)? The owning unit every agency's; a participant only its own agency's.
   */
  networkContactEdit(actor: Pick<CaseActor, 'agencyId'>, access: Decision, agencyId: string): Decision {
    if (!access.allow) return access;
    if (access.reason === 'owner') return allow('owner');
    return agencyId === actor.agencyId ? allow('own_agency') : deny('not_own_agency');
  }

  /** May a user of this kind of agency author information of this category (`policies/categories.yaml`)? */
  mayAuthorCategory(actor: Pick<RoleSubject, 'agencyKind'>, category: string): Decision {
    const c = Object.hasOwn(this.policies.categories.categories, category) ? this.policies.categories.categories[category] : undefined;
    if (!c) return deny('unknown_category');
    return c.authors.includes(actor.agencyKind) ? allow('category_author') : deny('category_author');
  }

  /**
   * Concerns (orosanmälan, `policies/concerns.yaml`): the role must allow the action; then the
   * view the caller gets of this concern (`facts`), or of the concerns at all (a list, `null`),
   * is the decision's reason — intake, coordinator or reporter. Everyone else is denied.
   */
  concernAccess(actor: ConcernActor, action: string, facts: ConcernFacts | null): Decision {
    const role = this.roleAllows(actor, action);
    return role.allow ? decideConcern(this.policies.concerns, actor, action, facts) : role;
  }

  /** A concern as `view` may see it (`policies/concerns.yaml`). */
  shapeConcern<T extends object>(view: ConcernView, value: T, protectedPerson: boolean): Partial<T> {
    return shapeConcern(this.policies.concerns, view, value, protectedPerson);
  }

  /** One read of one case by one caller: the decisions of what crosses, and their tally. */
  view(gate: GateEvaluator, viewer: CaseViewer): CaseView {
    return new CaseView(gate, viewer);
  }

  /**
   * Can information of `category` written by one agency of the case reach a user of another now?
   * The same decisions as a real read (or, towards the owner, a partner's write): the reader must
   * see the case at all (identity crosses from the owner to it), and then the item must cross.
   */
  reach(
    gate: GateEvaluator,
    c: Pick<CaseViewer, 'caseId' | 'subjectId' | 'ownerAgencyId' | 'protectedSubject'>,
    e: { authorAgencyId: string; readerAgencyId: string; category: string },
  ): ViewDecision {
    const door = (agencyId: string): boolean =>
      agencyId === c.ownerAgencyId || gate.decide({ fromAgencyId: c.ownerAgencyId, toAgencyId: agencyId, category: 'identity' }).allow;
    let d: ViewDecision;
    if (e.readerAgencyId === c.ownerAgencyId) {
      // The owning unit receives a partner's information when the partner writes it into the case.
      d = gate.decide({ fromAgencyId: e.authorAgencyId, toAgencyId: c.ownerAgencyId, category: e.category });
    } else {
      const view = this.view(gate, { ...c, agencyId: e.readerAgencyId, owner: false });
      d = e.authorAgencyId === c.ownerAgencyId ? view.field(e.category) : view.item(e.authorAgencyId, e.category);
    }
    // Open for the category, yet one side cannot open the case at all: closed, because identity is.
    if (d.allow && (!door(e.readerAgencyId) || !door(e.authorAgencyId))) return { allow: false, reason: 'identity_closed', consentIds: [] };
    return d;
  }

  /** `value` (a read model of `policies/disclosure.yaml` view `viewName`) as the caller may see it. */
  shape<T>(viewName: string, value: T, view: CaseView): T {
    return shapeView(this.policies.disclosure, viewName, value, view);
  }

  /** The items of a list the caller may see, each shaped; the rest tallied as withheld in `view`. */
  shapeItems<T>(viewName: string, items: readonly T[], view: CaseView): T[] {
    return shapeItems(this.policies.disclosure, viewName, items, view);
  }
}
