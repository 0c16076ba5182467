import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from '../../db/sql.js';
import { badRequest, HttpProblem } from '../../lib/problem.js';
import { auditContextOf } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { addDays, stockholmDate } from '../consents/calendar.js';
import type { AreaAccess } from './areas.access.js';
import type { PictureOutT } from './areas.schemas.js';
import { areaPictureSql } from './areas.sql.js';

/** Without a period, the picture shows the last 52 weeks (from a Monday). */
const DEFAULT_WEEKS = 52;
/** A longer period than this is refused: the chart and its table would be unreadable. */
const MAX_DAYS = 3 * 366;

const DAY_MS = 86_400_000;
const ACTION = 'area.read';

type PictureRow = { areas: string[]; picture: Omit<PictureOutT, 'area' | 'from' | 'to' | 'categories'> | null };

/** The area's picture (lägesbild): counts per week and category, open actions, the last meetings. */
export class PictureService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly access: AreaAccess,
  ) {}

  categories(): PictureOutT['categories'] {
    return Object.entries(this.app.policy.policies.observationCategories).map(([code, l]) => ({ code, sv: l.sv, en: l.en }));
  }

  /**
   * The picture for a caller the role gate let through, in one round trip: the decision point
   * decides as if the caller's agency works in the area, and the statement answers (and audits)
   * only if it does. Anything else — a denial, a bad period — takes the general path first
   * (`access.require`: the areas read, the decision, the denial audited), in today's order.
   */
  async picture(request: FastifyRequest, actor: Actor, area: string, q: { from?: string; to?: string }): Promise<PictureOutT> {
    const period = periodOf(q);
    const hoped = this.app.policy.areaAccess(actor, ACTION, { area, agencyAreas: [area] });
    if (period instanceof HttpProblem || !hoped.allow) {
      await this.access.require(request, actor, ACTION, area);
      if (period instanceof HttpProblem) throw period;
      throw new Error('The area rule allowed what it denied a moment ago');
    }
    const ctx = auditContextOf(request);
    const audit = this.app.audit.insertStatement(
      ctx,
      [{ action: ACTION, resourceType: 'area', resourceId: area, outcome: 'allowed' }],
      'EXISTS (SELECT 1 FROM ok)',
    );
    const { from, to } = period;
    const [row] = await sql<PictureRow>(request.em, areaPictureSql(audit.text), [
      actor.agencyId,
      area,
      ...audit.params,
      area,
      from,
      to,
      area,
      area,
      area,
    ]);
    if (!row!.picture) {
      // The agency does not work in the area: the decision point decides on the areas just read.
      await this.access.require(request, actor, ACTION, area, row!.areas);
      throw new Error('The area rule and the picture statement disagree about the agency’s areas');
    }
    return { area, from, to, categories: this.categories(), ...row!.picture };
  }
}

/** The period asked for (default: the last 52 weeks from a Monday), or why it cannot be shown. */
function periodOf(q: { from?: string; to?: string }): { from: string; to: string } | HttpProblem {
  const to = q.to ?? stockholmDate(new Date());
  const from = q.from ?? mondayOf(addDays(to, -7 * (DEFAULT_WEEKS - 1)));
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS;
  if (days < 0) return badRequest('The period ends before it starts: give an earlier from date.', 'bad_period', '/to');
  if (days > MAX_DAYS) return badRequest('The period is longer than three years: choose a shorter one.', 'period_too_long', '/from');
  return { from, to };
}

/** The Monday of the week of a YYYY-MM-DD date. */
function mondayOf(date: string): string {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((day + 6) % 7));
}
