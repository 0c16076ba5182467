import type { DisclosedItemType } from './consents.entities.js';
import type { DenyReason, GateEvaluator } from './gate.js';

/** One item a read is about to show to a user of another agency. */
export interface ExchangedItem {
  itemType: DisclosedItemType;
  itemId: string;
  category: string;
  fromAgencyId: string;
  consentIds: readonly string[];
}

/** What a read left out for lack of consent: counts per category and reason, never content. */
export interface Withheld {
  category: string;
  count: number;
  reason: DenyReason;
}

export interface ItemRef {
  itemType: DisclosedItemType;
  itemId: string;
  category: string;
  authorAgencyId: string;
}

/**
 * One read of one case by a user of `viewerAgencyId`: sifts the case's items through the gate,
 * keeps what crossed between agencies (for the ledger and the audit event's consent ids) and
 * tallies what was withheld. Each (author agency, category) is decided once by the gate.
 */
export class CaseExchange {
  private readonly crossed: ExchangedItem[] = [];
  private readonly relied = new Set<string>();
  private readonly withheldBy = new Map<string, Withheld>();

  constructor(readonly gate: GateEvaluator, readonly viewerAgencyId: string) {}

  /** Whether information of `category` by `authorAgencyId` may be shown (nothing recorded). */
  allows(authorAgencyId: string, category: string): boolean {
    return this.gate.decide({ fromAgencyId: authorAgencyId, toAgencyId: this.viewerAgencyId, category }).allow;
  }

  /** Decides one item: true and recorded as disclosed (if it crosses), or false and tallied as withheld. */
  admit(item: ItemRef): boolean {
    const d = this.gate.decide({ fromAgencyId: item.authorAgencyId, toAgencyId: this.viewerAgencyId, category: item.category });
    if (!d.allow) {
      this.withhold(item.category, d.reason as DenyReason, 1);
      return false;
    }
    this.disclose(item, d.consentIds);
    return true;
  }

  /**
   * Decides groups of items counted in SQL (author agency, category, how many) and answers the
   * groups that may be shown; the others are tallied as withheld. Use `disclose` for the items of
   * the allowed groups that are then actually sent.
   */
  allowedGroups<G extends { authorAgencyId: string; category: string; n: number }>(groups: readonly G[]): G[] {
    return groups.filter((g) => {
      const d = this.gate.decide({ fromAgencyId: g.authorAgencyId, toAgencyId: this.viewerAgencyId, category: g.category });
      if (!d.allow) this.withhold(g.category, d.reason as DenyReason, g.n);
      return d.allow;
    });
  }

  /** Records an allowed item as sent: a ledger row when it crossed from another agency. */
  disclose(item: ItemRef, consentIds = this.gate.decide({ fromAgencyId: item.authorAgencyId, toAgencyId: this.viewerAgencyId, category: item.category }).consentIds): void {
    if (item.authorAgencyId === this.viewerAgencyId) return;
    this.crossed.push({ itemType: item.itemType, itemId: item.itemId, category: item.category, fromAgencyId: item.authorAgencyId, consentIds });
    for (const id of consentIds) this.relied.add(id);
  }

  private withhold(category: string, reason: DenyReason, n: number): void {
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
