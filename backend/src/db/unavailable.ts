/**
 * Is this error the database being out of reach (down, restarting, connection lost or refused,
 * no connection to be had in time) rather than a fault of the statement? Such a request is
 * answered 503 "try again shortly", not 500.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** SQLSTATEs of PostgreSQL going away or not yet accepting connections (class 08: connection exception). */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages of `pg` and knex, which put no code on these errors. */
const MESSAGES = /Connection terminated|connection error and is not queryable|Client was closed|Connection ended unexpectedly|Timeout acquiring a connection|the database system is (starting up|shutting down|not yet accepting connections|in recovery mode)/;

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || /^08/.test(code))) return true;
  if (error.name === 'KnexTimeoutError' || MESSAGES.test(error.message)) return true;
  if (error instanceof AggregateError && error.errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(error.cause, depth + 1);
}
