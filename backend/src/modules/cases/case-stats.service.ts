import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { AVHOPPARE_PHASES, CASE_STATUSES, CASE_TYPES, type CaseStatus, type CaseType } from './cases.entities.js';
import type { CaseConfig } from './cases.policy.js';
import type { CaseOptionsOut, CaseStatsOut, GroupStatsOut } from './cases.schemas.js';
import { areasOf, groupFigures, type GroupRow } from '../stats/groups.js';
import { GROUP_CELLS_SQL } from '../stats/stats.sql.js';

/** Figures without identities (an agency's own, and group level), and the options of the forms. */
export class CaseStatsService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly config: CaseConfig,
  ) {}

  /** Counts of the caller's agency's cases, and of the caller's own (`mine`): no identities. */
  async agencyStats(em: EntityManager, actor: Actor, ctx: AuditContext): Promise<Static<typeof CaseStatsOut>> {
    const [rows, [mine]] = await Promise.all([
      sql<{ type: CaseType; status: CaseStatus; n: number }>(
        em,
        'SELECT type, status, n::int AS n FROM case_count WHERE owner_agency_id = ? AND n > 0 ORDER BY type, status',
        [actor.agencyId],
      ),
      sql<{ n: number }>(
        em,
        'SELECT count(*)::int AS n FROM support_case WHERE (owner_user_id = ? OR deputy_user_id = ?) AND owner_agency_id = ?',
        [actor.id, actor.id, actor.agencyId],
      ),
    ]);
    const byStatus = Object.fromEntries(CASE_STATUSES.map((s) => [s, 0])) as Record<CaseStatus, number>;
    const byType = Object.fromEntries(CASE_TYPES.map((t) => [t, 0])) as Record<CaseType, number>;
    for (const r of rows) {
      byStatus[r.status] += r.n;
      byType[r.type] += r.n;
    }
    await this.app.audit.record(em, ctx, { action: 'case.stats.read', resourceType: 'case_stats', outcome: 'allowed' });
    return {
      total: rows.reduce((n, r) => n + r.n, 0),
      mine: mine!.n,
      byStatus,
      byType,
      cells: rows.map((r) => ({ type: r.type, status: r.status, count: r.n })),
    };
  }

  /**
   * Group-level figures for the whole municipality: counts per area × type × status, with no
   * identities. Protected subjects' cases are counted under area null. Suppressed in one pass with
   * the active-case table of `GET /stats/overview` (`stats/groups.ts`): read together, neither
   * answer gives away a count the other withholds.
   */
  async groupStats(em: EntityManager, ctx: AuditContext): Promise<Static<typeof GroupStatsOut>> {
    const min = this.config.areas.statistics.minCellSize;
    const rows = await sql<GroupRow>(em, GROUP_CELLS_SQL);
    await this.app.audit.record(em, ctx, { action: 'stats.groups.read', resourceType: 'case_stats', outcome: 'allowed' });
    const areas = areasOf(
      this.config.areas.areas,
      rows.map((r) => r.area),
    );
    return { minCellSize: min, cells: groupFigures(rows, areas, min).cells };
  }

  /** Areas, life areas, categories and agencies for forms. */
  async options(em: EntityManager, actor: Actor): Promise<Static<typeof CaseOptionsOut>> {
    // Who opens cases chooses among every agency; anyone else learns of no agency beyond its own and
    // the social services that own cases (a case's participants come with the case, as consented).
    const everyAgency = this.app.policy.roleAllows(actor, 'case.create').allow;
    const agencies = await sql<{ id: string; name: string; kind: string }>(
      em,
      "SELECT id, name, kind FROM agency WHERE ? OR id = ? OR kind = 'social_services' ORDER BY name",
      [everyAgency, actor.agencyId],
    );
    return {
      areas: this.config.areas.areas,
      types: [...CASE_TYPES],
      phases: [...AVHOPPARE_PHASES],
      lifeAreas: this.config.lifeAreas,
      categories: Object.entries(this.app.policy.policies.categories.categories).map(([code, c]) => ({
        code,
        description: c.description,
        authors: c.authors,
        mine: c.authors.includes(actor.agencyKind),
      })),
      agencies,
      outcomes: Object.entries(this.config.outcomes.outcomes).map(([code, l]) => ({ code, sv: l.sv, en: l.en })),
      defaultOutcome: this.config.outcomes.default,
    };
  }
}
