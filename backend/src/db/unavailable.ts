import type { EntityManager } from '@mikro-orm/postgresql';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs of PostgreSQL going away or not yet accepting connections (and class 08: connection exception). */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages of `pg` and knex, which put no code on these errors. */
const MESSAGES =
  /Connection terminated|connection error and is not queryable|Client was closed|Connection ended unexpectedly|Timeout acquiring a connection|the database system is (starting up|shutting down|not yet accepting connections|in recovery mode)/;

/**
 * Is this error the database being out of reach (down, restarting, connection lost or refused,
 * no connection to be had in time) rather than a fault of the statement? Such a request is
 * answered 503 "try again shortly", not 500.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || /^08/.test(code))) return true;
  if (error.name === 'KnexTimeoutError' || MESSAGES.test(error.message)) return true;
  if (error instanceof AggregateError && error.errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(error.cause, depth + 1);
}

/**
 * knex's error when MikroORM rolls back a transaction whose statement or COMMIT had already
 * failed: the first error (e.g. the lost connection) is replaced by this one, so whether the
 * database is away must be asked of the database itself (`databaseReachable`).
 */
export function isLostTransaction(error: unknown): boolean {
  return error instanceof Error && /Transaction query already complete/.test(error.message);
}

/** Does a pooled connection answer `SELECT 1` within `timeoutMs`? */
export async function databaseReachable(em: EntityManager, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      em
        .getConnection()
        .execute('SELECT 1')
        .then(
          () => true,
          () => false,
        ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Exit status of the prepare step when the database cannot be reached (EX_TEMPFAIL): the server tries again. */
export const EXIT_DATABASE_UNREACHABLE = 75;
