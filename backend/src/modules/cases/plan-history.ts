import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../db/sql.js';
import { INSERT_PLAN_ITEM_CHANGE_SQL } from './cases.sql.js';

/** The fields of a plan item whose changes are kept, by their names in PlanItemOut. */
export const TRACKED_FIELDS = ['goal', 'action', 'responsibleAgencyId', 'dueDate', 'status'] as const;
export type TrackedField = (typeof TRACKED_FIELDS)[number];
export type PlanItemValues = Record<TrackedField, string | null>;

/** The tracked values of one plan item, locked for the change (param: item id, case id). */
export const LOCK_PLAN_ITEM_SQL = `SELECT id, goal, action, responsible_agency_id AS "responsibleAgencyId", due_date::text AS "dueDate", status
  FROM plan_item WHERE id = ? AND case_id = ? FOR UPDATE`;

/**
 * Writes one row of a plan item's history in the caller's transaction: the fields whose value
 * differs, with their old and new values. Nothing changed: no row, and false.
 */
export async function recordPlanItemChange(
  tx: EntityManager,
  change: {
    itemId: string;
    caseId: string;
    cause: 'update' | 'reassign';
    before: PlanItemValues;
    after: Partial<PlanItemValues>;
    userId: string;
    agencyId: string;
  },
): Promise<boolean> {
  const fields = TRACKED_FIELDS.filter((f) => change.after[f] !== undefined && change.after[f] !== change.before[f]);
  if (fields.length === 0) return false;
  const pick = (v: Partial<PlanItemValues>): Record<string, string | null> => Object.fromEntries(fields.map((f) => [f, v[f] ?? null]));
  await sql(tx, INSERT_PLAN_ITEM_CHANGE_SQL, [
    randomUUID(),
    change.itemId,
    change.caseId,
    change.cause,
    `{${fields.join(',')}}`,
    JSON.stringify(pick(change.before)),
    JSON.stringify(pick(change.after)),
    change.userId,
    change.agencyId,
  ]);
  return true;
}
