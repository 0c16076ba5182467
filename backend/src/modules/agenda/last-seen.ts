import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../db/sql.js';
import { MARK_SEEN_SQL } from './agenda.sql.js';

/** Records that the user has just read the case: its entries up to now are no longer new to them. */
export async function markCaseSeen(em: EntityManager, userId: string, caseId: string): Promise<void> {
  await sql(em, MARK_SEEN_SQL, [userId, caseId]);
}
