import type { RequiredPartyKind } from './consent.policy.js';
import { ageOn, stockholmDate } from './calendar.js';

/**
 * THE consent gate, as a pure function of the facts: may information of `category` authored by
 * agency `fromAgencyId` become visible to a user of agency `toAgencyId` at instant `at`?
 *
 * Allowed only if every required party (by the subject's age on the day, from the policy) has a
 * consent in force at that instant that names both agencies and the category. Days are counted
 * on the Europe/Stockholm calendar; a withdrawal counts from its exact instant.
 */

export type GivenBy = { kind: 'subject' } | { kind: 'guardian'; guardianId: string };
export type Party = GivenBy;

export interface GateGuardian {
  id: string;
  custody: boolean;
}

export interface GateConsent {
  id: string;
  givenBy: GivenBy;
  agencyIds: readonly string[];
  categories: readonly string[];
  /** First and last day in force (inclusive), ISO dates on the Stockholm calendar. */
  validFrom: string;
  validTo: string;
  withdrawnAt: Date | null;
}

/** What the gate needs to know about one case at one instant. */
export interface GateFacts {
  /** ISO date; null when unknown, which denies every exchange (`no_required_party`). */
  subjectBirthDate: string | null;
  guardians: readonly GateGuardian[];
  consents: readonly GateConsent[];
  at: Date;
}

export interface Exchange {
  fromAgencyId: string;
  toAgencyId: string;
  category: string;
}

export type GateInput = GateFacts & Exchange;

export interface GateRules {
  requiredParties: readonly { fromAge: number; parties: readonly RequiredPartyKind[] }[];
}

export type DenyReason = 'no_consent' | 'expired' | 'withdrawn' | 'no_required_party';
/** `own_agency`: not an exchange at all; `consent`: every required party has consented. */
export type AllowReason = 'own_agency' | 'consent';

export interface MissingParty {
  party: Party;
  reason: Exclude<DenyReason, 'no_required_party'>;
}

export interface GateDecision {
  allow: boolean;
  reason: AllowReason | DenyReason;
  /** The consents relied on (every in-force matching consent of every required party). */
  consentIds: readonly string[];
  /** The required parties without an effective consent, each with its most informative reason. */
  missing: readonly MissingParty[];
}

export type ConsentStatus = 'active' | 'pending' | 'expired' | 'withdrawn';

/** A consent's status at `at` (`today` is the Stockholm date of `at`). */
export function consentStatus(
  c: Pick<GateConsent, 'validFrom' | 'validTo' | 'withdrawnAt'>,
  at: Date,
  today = stockholmDate(at),
): ConsentStatus {
  if (c.withdrawnAt && c.withdrawnAt.getTime() <= at.getTime()) return 'withdrawn';
  if (c.validTo < today) return 'expired';
  if (c.validFrom > today) return 'pending';
  return 'active';
}

/** Which parties must consent for a subject of this age. */
export function requiredPartyKinds(rules: GateRules, age: number): readonly RequiredPartyKind[] {
  let parties = rules.requiredParties[0]?.parties ?? [];
  for (const row of rules.requiredParties) if (age >= row.fromAge) parties = row.parties;
  return parties;
}

/** Among a party's unmet reasons the one that tells the most: withdrawn, then expired. */
const RANK: Record<MissingParty['reason'], number> = { no_consent: 0, expired: 1, withdrawn: 2 };

interface PreparedConsent {
  id: string;
  agencyIds: readonly string[];
  categories: readonly string[];
  status: ConsentStatus;
}

export interface GateEvaluator {
  readonly at: Date;
  /** The subject's age on the day, or null when the birth date is unknown. */
  readonly age: number | null;
  /** The parties whose consent is required on the day (empty when none can be determined). */
  readonly requiredParties: readonly Party[];
  decide(exchange: Exchange): GateDecision;
  /**
   * The agencies every required party has named together with both agencies of an open exchange
   * (in the active consents relied on for it): who may be known to take part, as far as the
   * consents say. Empty when the exchange is not open.
   */
  namedWith(exchange: Exchange): ReadonlySet<string>;
}

const OWN: GateDecision = Object.freeze({
  allow: true,
  reason: 'own_agency',
  consentIds: Object.freeze([]),
  missing: Object.freeze([]),
}) as GateDecision;

/**
 * Does the per-case work once (calendar date, age, required parties, each consent's status) and
 * memoises each (from, to, category) decision, so a read of many items costs a few map lookups.
 */
export function prepareGate(rules: GateRules, facts: GateFacts): GateEvaluator {
  const today = stockholmDate(facts.at);
  const age = facts.subjectBirthDate ? ageOn(facts.subjectBirthDate, today) : null;
  const parties: Party[] = [];
  let noParty = age === null;
  if (age !== null) {
    for (const kind of requiredPartyKinds(rules, age)) {
      if (kind === 'subject') parties.push({ kind: 'subject' });
      else {
        const custodial = facts.guardians.filter((g) => g.custody);
        if (custodial.length === 0) noParty = true;
        for (const g of custodial) parties.push({ kind: 'guardian', guardianId: g.id });
      }
    }
    if (parties.length === 0) noParty = true;
  }
  const byParty = parties.map((p) =>
    facts.consents
      .filter((c) =>
        p.kind === 'subject' ? c.givenBy.kind === 'subject' : c.givenBy.kind === 'guardian' && c.givenBy.guardianId === p.guardianId,
      )
      .map((c): PreparedConsent => ({
        id: c.id,
        agencyIds: c.agencyIds,
        categories: c.categories,
        status: consentStatus(c, facts.at, today),
      })),
  );
  const noPartyDecision: GateDecision = { allow: false, reason: 'no_required_party', consentIds: [], missing: [] };
  // from → to → category → decision: nested maps, so a lookup allocates nothing.
  const memo = new Map<string, Map<string, Map<string, GateDecision>>>();

  function evaluate(e: Exchange): GateDecision {
    if (noParty) return noPartyDecision;
    const relied: string[] = [];
    const missing: MissingParty[] = [];
    parties.forEach((party, i) => {
      let found = false;
      let reason: MissingParty['reason'] = 'no_consent';
      for (const c of byParty[i]!) {
        if (!c.categories.includes(e.category) || !c.agencyIds.includes(e.fromAgencyId) || !c.agencyIds.includes(e.toAgencyId)) continue;
        if (c.status === 'active') {
          found = true;
          relied.push(c.id);
        } else if (c.status !== 'pending' && RANK[c.status] > RANK[reason]) {
          reason = c.status;
        }
      }
      if (!found) missing.push({ party, reason });
    });
    if (missing.length === 0) return { allow: true, reason: 'consent', consentIds: relied, missing };
    const worst = missing.reduce((a, m) => (RANK[m.reason] > RANK[a] ? m.reason : a), 'no_consent' as MissingParty['reason']);
    return { allow: false, reason: worst, consentIds: [], missing };
  }

  function namedWith(e: Exchange): ReadonlySet<string> {
    if (noParty || !evaluate(e).allow) return new Set();
    let named: Set<string> | null = null;
    parties.forEach((_, i) => {
      const mine = new Set<string>();
      for (const c of byParty[i]!) {
        if (
          c.status === 'active' &&
          c.categories.includes(e.category) &&
          c.agencyIds.includes(e.fromAgencyId) &&
          c.agencyIds.includes(e.toAgencyId)
        ) {
          for (const a of c.agencyIds) mine.add(a);
        }
      }
      named = named === null ? mine : new Set([...named].filter((a) => mine.has(a)));
    });
    return named ?? new Set();
  }

  return {
    at: facts.at,
    age,
    requiredParties: noParty ? [] : parties,
    namedWith,
    decide(e) {
      if (e.fromAgencyId === e.toAgencyId) return OWN;
      let byTo = memo.get(e.fromAgencyId);
      if (!byTo) memo.set(e.fromAgencyId, (byTo = new Map()));
      let byCategory = byTo.get(e.toAgencyId);
      if (!byCategory) byTo.set(e.toAgencyId, (byCategory = new Map()));
      let d = byCategory.get(e.category);
      if (!d) byCategory.set(e.category, (d = evaluate(e)));
      return d;
    },
  };
}

/** The gate for one exchange. */
export function evaluateGate(rules: GateRules, input: GateInput): GateDecision {
  return prepareGate(rules, input).decide(input);
}
