import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../db/sql.js';
import { REVOCATION_CHANNEL } from '../identity/session-cache.js';

/**
 * Tells every instance (LISTEN/NOTIFY, delivered at commit) to drop the user's cached sessions:
 * a session ended, or roles or agency changed, must count on the user's very next request.
 * The caller also clears this instance's cache after the commit (`sessions.revokeUser`).
 */
export async function announceUserRevocation(tx: EntityManager, userId: string): Promise<void> {
  await sql(tx, 'SELECT pg_notify(?, ?)', [REVOCATION_CHANNEL, `user:${userId}`]);
}
