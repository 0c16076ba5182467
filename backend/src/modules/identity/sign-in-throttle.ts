import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { normalizeIP } from '@fastify/rate-limit';
import { sql, transaction } from '../../db/sql.js';

export interface ThrottleLimits {
  /** Failures of one user name from one address before each further try waits. */
  pairFailures: number;
  backoffSeconds: number;
  backoffMaxSeconds: number;
  windowSeconds: number;
  userFailures: number;
  addressFailures: number;
}

/** The three counters one sign-in reserves, sorted so that concurrent sign-ins lock them in the same order. */
export interface ThrottleKeys {
  pair: string;
  user: string;
  address: string;
  sorted: string[];
}

/**
 * User names are kept hashed (a password pasted into the name field must not be stored in
 * clear); an IPv6 address by its /64, which one client usually holds whole.
 */
export function throttleKeys(username: string, address: string | null): ThrottleKeys {
  const user = createHash('sha256').update(username.trim().toLowerCase()).digest('hex');
  const addr = address ? normalizeIP(address) : 'unknown';
  const keys = { pair: `pair:${user}:${addr}`, user: `user:${user}`, address: `addr:${addr}` };
  return { ...keys, sorted: Object.values(keys).sort() };
}

export interface CounterRow {
  key: string;
  failures: number;
  /** Seconds since the counter's window started, and since its last failure. */
  window_age: number;
  since_last: number;
}

/** The wait after `failures` failures of one pair: none for the free ones, then doubling up to the maximum. */
const pairDelay = (failures: number, l: ThrottleLimits): number =>
  failures < l.pairFailures ? 0 : Math.min(l.backoffMaxSeconds, l.backoffSeconds * 2 ** (failures - l.pairFailures));

/**
 * The failures a counter still holds. A pair's are forgotten LOGIN_WINDOW_SECONDS after its wait
 * is over (not merely after the window: at the longest wait, an attacker who waits out every
 * delay would otherwise start afresh each time); the other counters are fixed windows.
 */
export function currentFailures(r: CounterRow, keys: ThrottleKeys, l: ThrottleLimits): number {
  if (r.key === keys.pair) return r.since_last >= l.windowSeconds + pairDelay(r.failures, l) ? 0 : r.failures;
  return r.window_age >= l.windowSeconds ? 0 : r.failures;
}

/**
 * How many seconds this sign-in must wait (null: it may go ahead), from the counters as they
 * stand. One user name from one address: LOGIN_MAX_FAILURES free tries, then a wait that doubles
 * with every further failure. One user name from anywhere, or one address for any user name: a
 * fixed count per window.
 */
export function waitSeconds(rows: readonly CounterRow[], keys: ThrottleKeys, l: ThrottleLimits): number | null {
  let wait = 0;
  for (const r of rows) {
    const failures = currentFailures(r, keys, l);
    if (r.key === keys.pair) {
      const delay = pairDelay(failures, l);
      if (r.since_last < delay) wait = Math.max(wait, delay - r.since_last);
    } else {
      const max = r.key === keys.user ? l.userFailures : l.addressFailures;
      if (failures >= max) wait = Math.max(wait, l.windowSeconds - r.window_age);
    }
  }
  return wait > 0 ? Math.max(1, Math.ceil(wait)) : null;
}

/** Each counter row is locked (in key order) from here to the end of the reservation's transaction. */
const LOCK_SQL = `INSERT INTO login_throttle (key) SELECT k FROM unnest(?::text[]) AS k ORDER BY k
  ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
  RETURNING key, failures, extract(epoch FROM now() - window_started_at)::float8 AS window_age,
            extract(epoch FROM now() - last_failure_at)::float8 AS since_last`;

const COUNT_SQL = `UPDATE login_throttle t
  SET failures = u.failures,
      window_started_at = CASE WHEN u.restart THEN now() ELSE t.window_started_at END,
      last_failure_at = now()
  FROM unnest(?::text[], ?::int[], ?::bool[]) AS u(key, failures, restart)
  WHERE t.key = u.key`;

const REFUND_SQL = `UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = ANY(?::text[])`;
const FORGET_SQL = `DELETE FROM login_throttle WHERE key = ?`;
const SWEEP_SQL = `DELETE FROM login_throttle
  WHERE last_failure_at < now() - make_interval(secs => ?) AND window_started_at < now() - make_interval(secs => ?)`;

/**
 * Sign-in throttling that holds under concurrency: every sign-in *reserves* a failure on its
 * counters before the password is checked, in one transaction that locks the counter rows, so
 * two hundred parallel guesses are counted one after the other and at most the allowed number
 * reach the password check. A sign-in that succeeds (or is never checked) gives its reservation
 * back.
 */
export class SignInThrottle {
  private lastSweepMs = 0;

  constructor(private readonly limits: ThrottleLimits) {}

  /** Reserves one failure on each counter; or, when a counter is at its limit, the seconds to wait (nothing reserved). */
  async reserve(em: EntityManager, keys: ThrottleKeys): Promise<number | null> {
    const l = this.limits;
    const wait = await transaction(em, async (tx) => {
      const rows = await sql<CounterRow>(tx, LOCK_SQL, [keys.sorted]);
      const wait = waitSeconds(rows, keys, l);
      if (wait !== null) return wait;
      const failures = rows.map((r) => currentFailures(r, keys, l) + 1);
      // A fixed window starts again with its first failure.
      const restart = rows.map((r, i) => r.key !== keys.pair && failures[i] === 1);
      await sql(tx, COUNT_SQL, [rows.map((r) => r.key), failures, restart]);
      return null;
    });
    this.sweep(em);
    return wait;
  }

  /** The password was right: the pair starts afresh; the wider counters get their reservation back. */
  async succeeded(em: EntityManager, keys: ThrottleKeys): Promise<void> {
    await sql(em, FORGET_SQL, [keys.pair]);
    await sql(em, REFUND_SQL, [[keys.user, keys.address]]);
  }

  /** The password was never checked (the server was too busy): the reservation goes back. */
  async notChecked(em: EntityManager, keys: ThrottleKeys): Promise<void> {
    await sql(em, REFUND_SQL, [keys.sorted]);
  }

  /** Counters past their window are forgotten, at most once a minute, off the request's path. */
  private sweep(em: EntityManager): void {
    const now = Date.now();
    if (now - this.lastSweepMs < 60_000) return;
    this.lastSweepMs = now;
    const keep = this.limits.windowSeconds + this.limits.backoffMaxSeconds;
    sql(em.fork(), SWEEP_SQL, [keep, keep]).catch(() => {
      this.lastSweepMs = 0;
    });
  }
}
