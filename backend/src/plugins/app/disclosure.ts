import type { DisclosedItemType } from '../../modules/consents/consents.entities.js';
import type { DenyReason, GateEvaluator } from '../../modules/consents/gate.js';

/**
 * The field-level half of the one door: `policies/disclosure.yaml` classifies every field of
 * every answer about a case, and `shapeView` turns a full read model into what one caller may
 * see. Pure: no I/O; the decision point (policy.ts) builds a CaseView per read and calls it.
 */

export type FieldRule =
  | { kind: 'category'; category: string }
  | { kind: 'whereabouts' | 'contact' | 'owner_only' | 'agency' | 'item' | 'report' }
  | { kind: 'object' | 'each' | 'items' | 'keyed'; view: string };

export interface DisclosurePolicy {
  /** Actions a participating partner may take on a case while identity crosses to it. */
  gatedActions: readonly string[];
  /** View name → field name → rule. Fields not listed never leave the owning unit. */
  views: Readonly<Record<string, Readonly<Record<string, FieldRule>>>>;
}

const WORDS = ['whereabouts', 'contact', 'owner_only', 'agency', 'item', 'report'] as const;
const NESTED = ['object', 'each', 'items', 'keyed'] as const;

/** The ledger's item type of each view whose lists hold items (`{ items: <view> }`). */
export const ITEM_TYPES: Readonly<Record<string, DisclosedItemType>> = {
  entry: 'entry',
  planItem: 'plan_item',
  meeting: 'meeting',
  document: 'document',
};

/** Parses the raw YAML; answers the rules or the problems found (unknown categories, views, words). */
export function parseDisclosurePolicy(raw: unknown, categories: readonly string[]): DisclosurePolicy | string[] {
  const problems: string[] = [];
  const r = (raw ?? {}) as { gatedActions?: unknown; views?: unknown };
  const gatedActions =
    Array.isArray(r.gatedActions) && r.gatedActions.every((a) => typeof a === 'string') ? (r.gatedActions as string[]) : null;
  if (!gatedActions) problems.push('/gatedActions: a list of actions is required');
  const views: Record<string, Record<string, FieldRule>> = {};
  if (typeof r.views !== 'object' || r.views === null) problems.push('/views: required');
  for (const [name, fields] of Object.entries((r.views ?? {}) as Record<string, unknown>)) {
    views[name] = {};
    for (const [field, rule] of Object.entries((fields ?? {}) as Record<string, unknown>)) {
      const at = `/views/${name}/${field}`;
      if (typeof rule === 'string') {
        if ((WORDS as readonly string[]).includes(rule)) views[name][field] = { kind: rule as (typeof WORDS)[number] };
        else if (categories.includes(rule)) views[name][field] = { kind: 'category', category: rule };
        else problems.push(`${at}: '${rule}' is neither a category of categories.yaml nor one of ${WORDS.join(', ')}`);
      } else if (
        rule &&
        typeof rule === 'object' &&
        Object.keys(rule).length === 1 &&
        (NESTED as readonly string[]).includes(Object.keys(rule)[0]!)
      ) {
        const kind = Object.keys(rule)[0] as (typeof NESTED)[number];
        views[name][field] = { kind, view: String((rule as Record<string, unknown>)[kind]) };
      } else {
        problems.push(`${at}: a rule is a word, a category, or one of { ${NESTED.join(' | ')}: <view> }`);
      }
    }
  }
  for (const [name, fields] of Object.entries(views)) {
    for (const [field, rule] of Object.entries(fields)) {
      if (!('view' in rule)) continue;
      if (!views[rule.view]) problems.push(`/views/${name}/${field}: unknown view '${rule.view}'`);
      if (rule.kind === 'items' && !ITEM_TYPES[rule.view])
        problems.push(`/views/${name}/${field}: '${rule.view}' is not an item view (${Object.keys(ITEM_TYPES).join(', ')})`);
    }
  }
  return problems.length > 0 ? problems : { gatedActions: gatedActions!, views };
}

/** Who is reading one case, as the field rules need to know. */
export interface CaseViewer {
  caseId: string;
  subjectId: string;
  ownerAgencyId: string;
  /** The caller's agency. */
  agencyId: string;
  /** The caller is the owning unit: it sees its own case whole, including what partners wrote into it. */
  owner: boolean;
  /** The subject has protected identity: no partner learns whereabouts or other participants. */
  protectedSubject: boolean;
}

/** What a read left out: counts per category and reason, never content. */
export interface Withheld {
  category: string;
  count: number;
  reason: DenyReason;
}

/** One item a read is about to show to a user of another agency: a row of the disclosure ledger. */
export interface ExchangedItem {
  itemType: DisclosedItemType;
  itemId: string;
  category: string;
  fromAgencyId: string;
  consentIds: readonly string[];
}

export interface ItemRef {
  itemType: DisclosedItemType;
  itemId: string;
  category: string;
  authorAgencyId: string;
}

export interface ViewDecision {
  allow: boolean;
  reason: string;
  consentIds: readonly string[];
}

const OWNER: ViewDecision = Object.freeze({ allow: true, reason: 'owner', consentIds: Object.freeze([]) }) as ViewDecision;
const OWN: ViewDecision = Object.freeze({ allow: true, reason: 'own_agency', consentIds: Object.freeze([]) }) as ViewDecision;
const NOT_NAMED: ViewDecision = Object.freeze({ allow: false, reason: 'not_named', consentIds: Object.freeze([]) }) as ViewDecision;

/**
 * One read of one case by one caller: THE decisions of what crosses (case fields from the owner,
 * items from their authors, which agencies may be named), the tally of what was withheld and the
 * items that crossed (for the disclosure ledger and the audit event's consent ids).
 */
export class CaseView {
  private readonly crossed: ExchangedItem[] = [];
  private readonly crossedKeys = new Set<string>();
  private readonly relied = new Set<string>();
  private readonly withheldBy = new Map<string, Withheld>();
  /** Agencies the caller may learn take part: the owner, its own, and those named with it for identity. */
  readonly known: ReadonlySet<string>;

  constructor(
    readonly gate: GateEvaluator,
    readonly viewer: CaseViewer,
  ) {
    const known = new Set([viewer.ownerAgencyId, viewer.agencyId]);
    if (!viewer.owner && !viewer.protectedSubject) {
      for (const a of gate.namedWith({ fromAgencyId: viewer.ownerAgencyId, toAgencyId: viewer.agencyId, category: 'identity' }))
        known.add(a);
    }
    this.known = known;
  }

  /** May the caller learn that this agency takes part in the case? (The owner knows every participant.) */
  knows(agencyId: string): boolean {
    return this.viewer.owner || this.known.has(agencyId);
  }

  /** A field of the case itself (authored by the owning unit) of `category`. */
  field(category: string): ViewDecision {
    if (this.viewer.owner) return OWNER;
    return this.gate.decide({ fromAgencyId: this.viewer.ownerAgencyId, toAgencyId: this.viewer.agencyId, category });
  }

  /**
   * An item of `category` written by `authorAgencyId`. The owning unit sees every item of its
   * case (a partner's item crossed to it when written, recorded then); an agency always sees its
   * own; anything else crosses while its author may be named to the caller and the gate is open.
   */
  item(authorAgencyId: string, category: string): ViewDecision {
    if (this.viewer.owner) return OWNER;
    if (authorAgencyId === this.viewer.agencyId) return OWN;
    if (!this.known.has(authorAgencyId)) return NOT_NAMED;
    return this.gate.decide({ fromAgencyId: authorAgencyId, toAgencyId: this.viewer.agencyId, category });
  }

  /** Decides one item: true and recorded as disclosed (if it crosses), or false and tallied as withheld (unless its author may not be named). */
  admit(item: ItemRef): boolean {
    const d = this.item(item.authorAgencyId, item.category);
    if (!d.allow) {
      if (d !== NOT_NAMED) this.withhold(item.category, d.reason as Withheld['reason'], 1);
      return false;
    }
    this.disclose(item, d);
    return true;
  }

  /**
   * Decides groups of items counted in SQL (author agency, category, how many) and answers the
   * groups that may be shown; the others are tallied as withheld. The items of the allowed groups
   * that are then sent go through `admit` (or `shapeView`), which records them.
   */
  allowedGroups<G extends { authorAgencyId: string; category: string; n: number }>(groups: readonly G[]): G[] {
    return groups.filter((g) => {
      const d = this.item(g.authorAgencyId, g.category);
      // Items of an agency the caller may not know of are not counted either: a count would tell that it takes part.
      if (!d.allow && d !== NOT_NAMED) this.withhold(g.category, d.reason as Withheld['reason'], g.n);
      return d.allow;
    });
  }

  /** Records an allowed item as sent: a ledger row when it crossed from another agency. */
  disclose(item: ItemRef, d: ViewDecision = this.item(item.authorAgencyId, item.category)): void {
    if (this.viewer.owner || item.authorAgencyId === this.viewer.agencyId) return;
    const key = `${item.itemType}\u0000${item.itemId}\u0000${item.category}`;
    if (this.crossedKeys.has(key)) return;
    this.crossedKeys.add(key);
    this.crossed.push({
      itemType: item.itemType,
      itemId: item.itemId,
      category: item.category,
      fromAgencyId: item.authorAgencyId,
      consentIds: d.consentIds,
    });
    for (const id of d.consentIds) this.relied.add(id);
  }

  withhold(category: string, reason: Withheld['reason'], n: number): void {
    const key = `${category}\u0000${reason}`;
    const w = this.withheldBy.get(key);
    if (w) w.count += n;
    else this.withheldBy.set(key, { category, count: n, reason });
  }

  get disclosures(): readonly ExchangedItem[] {
    return this.crossed;
  }

  /** The consents relied on for what crossed. */
  get consentIds(): string[] {
    return [...this.relied];
  }

  get withheld(): Withheld[] {
    return [...this.withheldBy.values()].sort((a, b) => a.category.localeCompare(b.category) || a.reason.localeCompare(b.reason));
  }
}

type Json = unknown;
type JsonObject = Record<string, Json>;

const empty = (v: Json): Json => (Array.isArray(v) ? [] : null);
const hasContent = (v: Json): boolean => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0) && v !== '';

/**
 * `value` as `view` lets the caller see it: only classified fields are copied (default deny);
 * each is decided by its rule. The owning unit gets its own case unchanged.
 */
export function shapeView<T>(policy: DisclosurePolicy, viewName: string, value: T, view: CaseView): T {
  if (view.viewer.owner) return value;
  return shapeObject(policy, viewName, value as JsonObject, view) as T;
}

/** The items of a list (`{ items: <view> }`) the caller may see, each shaped; the rest tallied as withheld. */
export function shapeItems<T>(policy: DisclosurePolicy, viewName: string, items: readonly T[], view: CaseView): T[] {
  const itemType = ITEM_TYPES[viewName];
  if (!itemType) throw new Error(`${viewName} is not an item view`);
  const out: T[] = [];
  for (const it of items as readonly JsonObject[]) {
    const ref: ItemRef = {
      itemType,
      itemId: String(it.id),
      category: String(it.category),
      authorAgencyId: String(it.authorAgencyId ?? it.agencyId),
    };
    if (!view.admit(ref)) continue;
    out.push((view.viewer.owner ? it : shapeObject(policy, viewName, it, view)) as T);
  }
  return out;
}

/** Each view's rules as a list, made once per policy (a read shapes many objects of one view). */
const ruleLists = new WeakMap<DisclosurePolicy, Map<string, [string, FieldRule][]>>();
function rulesOf(policy: DisclosurePolicy, viewName: string): [string, FieldRule][] {
  let byView = ruleLists.get(policy);
  if (!byView) ruleLists.set(policy, (byView = new Map()));
  let list = byView.get(viewName);
  if (!list) byView.set(viewName, (list = Object.entries(policy.views[viewName] ?? {})));
  return list;
}

function shapeObject(policy: DisclosurePolicy, viewName: string, obj: JsonObject, view: CaseView): JsonObject {
  const out: JsonObject = {};
  for (const [field, rule] of rulesOf(policy, viewName)) {
    if (!Object.hasOwn(obj, field)) continue;
    const v = obj[field];
    out[field] = shapeField(policy, rule, v, view);
  }
  return out;
}

function shapeField(policy: DisclosurePolicy, rule: FieldRule, v: Json, view: CaseView): Json {
  switch (rule.kind) {
    case 'item':
    case 'report':
      return v;
    case 'owner_only':
      return empty(v);
    case 'whereabouts':
    case 'contact':
      return view.viewer.protectedSubject ? empty(v) : caseField(view, 'identity', v);
    case 'category':
      return caseField(view, rule.category, v);
    case 'agency':
      if (Array.isArray(v)) return v.filter((a) => typeof a === 'string' && view.knows(a));
      return typeof v === 'string' && view.knows(v) ? v : null;
    case 'object':
      return v && typeof v === 'object' ? shapeObject(policy, rule.view, v as JsonObject, view) : v;
    case 'each':
      return Array.isArray(v) ? v.map((e) => shapeObject(policy, rule.view, e as JsonObject, view)) : empty(v);
    case 'keyed':
      return Array.isArray(v)
        ? (v as JsonObject[])
            .filter((e) => typeof e.agencyId === 'string' && view.knows(e.agencyId))
            .map((e) => shapeObject(policy, rule.view, e, view))
        : empty(v);
    case 'items':
      return Array.isArray(v) ? shapeItems(policy, rule.view, v, view) : empty(v);
  }
}

/** A field of the case (authored by the owner): sent when its category crosses, else emptied and tallied. */
function caseField(view: CaseView, category: string, v: Json): Json {
  const d = view.field(category);
  if (d.allow) {
    if (hasContent(v))
      view.disclose({ itemType: 'case', itemId: view.viewer.caseId, category, authorAgencyId: view.viewer.ownerAgencyId }, d);
    return v;
  }
  if (hasContent(v)) view.withhold(category, d.reason as Withheld['reason'], 1);
  return empty(v);
}
