import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import { badRequest } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import { addDays, stockholmDate } from '../consents/calendar.js';
import type { PictureOutT } from './areas.schemas.js';
import { PICTURE_SQL } from './areas.sql.js';

/** Without a period, the picture shows the last 52 weeks (from a Monday). */
const DEFAULT_WEEKS = 52;
/** A longer period than this is refused: the chart and its table would be unreadable. */
const MAX_DAYS = 3 * 366;

const DAY_MS = 86_400_000;

/** The area's picture (lägesbild): counts per week and category, open actions, the last meetings. */
export class PictureService {
  constructor(private readonly app: FastifyInstance) {}

  categories(): PictureOutT['categories'] {
    return Object.entries(this.app.policy.policies.observationCategories).map(([code, l]) => ({ code, sv: l.sv, en: l.en }));
  }

  async picture(em: EntityManager, ctx: AuditContext, area: string, q: { from?: string; to?: string }): Promise<PictureOutT> {
    const to = q.to ?? stockholmDate(new Date());
    const from = q.from ?? mondayOf(addDays(to, -7 * (DEFAULT_WEEKS - 1)));
    const days = (Date.parse(to) - Date.parse(from)) / DAY_MS;
    if (days < 0) throw badRequest('The period ends before it starts: give an earlier from date.', 'bad_period', '/to');
    if (days > MAX_DAYS) throw badRequest('The period is longer than three years: choose a shorter one.', 'period_too_long', '/from');
    const [row] = await sql<{ picture: Omit<PictureOutT, 'area' | 'from' | 'to' | 'categories'> }>(em, PICTURE_SQL, [
      area,
      from,
      to,
      area,
      area,
      area,
    ]);
    await this.app.audit.record(em, ctx, { action: 'area.read', resourceType: 'area', resourceId: area, outcome: 'allowed' });
    return { area, from, to, categories: this.categories(), ...row!.picture };
  }
}

/** The Monday of the week of a YYYY-MM-DD date. */
function mondayOf(date: string): string {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((day + 6) % 7));
}
