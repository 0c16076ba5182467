/**
 * Hand-written SQL on the request's connection, as prepared statements.
 *
 * `sql(em, text, params)` runs `text` (with `?` placeholders) on the connection of `em`'s
 * transaction when there is one, else on a pooled connection, straight through `pg` — not
 * through knex's raw builder or MikroORM's `execute` (which inlines every value into the SQL
 * text, so PostgreSQL has to parse and plan a new statement each time). Each distinct text
 * becomes a named prepared statement on each connection, the first time that connection runs
 * it: later calls skip parsing, and after a few executions planning too (PostgreSQL's plan
 * cache). Values travel as bind parameters, never in the text. A JS array is sent as a
 * PostgreSQL array (write `?::uuid[]`, `?::text[]`).
 *
 * A text that varies with its input (a VALUES list of N rows) should use arrays and `unnest`
 * instead, so that the statement stays one; a connection keeps at most MAX_PREPARED named
 * statements and runs any further text unnamed.
 */
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type pg from 'pg';

interface KnexClientLike {
  acquireConnection(): Promise<pg.ClientBase>;
  releaseConnection(c: pg.ClientBase): Promise<unknown>;
}

const MAX_PREPARED = 256;
const MAX_COMPILED = 2048;

interface Compiled {
  text: string;
  name: string;
  placeholders: number;
}

const compiled = new Map<string, Compiled>();
const preparedOn = new WeakMap<pg.ClientBase, Set<string>>();

/**
 * `?` → `$1, $2, …` outside string literals, quoted identifiers and comments. (`?` is never an
 * operator in this code base: no jsonb `?`, `?|`, `?&`.)
 */
export function positional(query: string): { text: string; placeholders: number } {
  let out = '';
  let n = 0;
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (c === "'" || c === '"') {
      const end = query.indexOf(c, i + 1);
      const stop = end < 0 ? query.length : end + 1;
      out += query.slice(i, stop);
      i = stop;
    } else if (c === '-' && query[i + 1] === '-') {
      const end = query.indexOf('\n', i);
      const stop = end < 0 ? query.length : end;
      out += query.slice(i, stop);
      i = stop;
    } else if (c === '?') {
      n += 1;
      out += `$${n}`;
      i += 1;
    } else {
      out += c;
      i += 1;
    }
  }
  return { text: out, placeholders: n };
}

function compile(query: string): Compiled {
  let c = compiled.get(query);
  if (!c) {
    const p = positional(query);
    c = { ...p, name: `s_${createHash('sha256').update(p.text).digest('base64url').slice(0, 22)}` };
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(query, c);
  }
  return c;
}

/** The connection pool behind `em` (whatever transaction `em` is in). */
function poolOf(em: EntityManager): KnexClientLike {
  return (em.getConnection().getKnex() as unknown as { client: KnexClientLike }).client;
}

function knexClientOf(em: EntityManager): KnexClientLike {
  return em.getTransactionContext<{ client: KnexClientLike }>()?.client ?? poolOf(em);
}

/**
 * A raw connection from the pool, outside `em`'s transaction, for the heavy reads that need the
 * `pg` client itself (rowMode 'array', cursors, COPY, a snapshot of their own). `release` is
 * idempotent.
 */
export async function acquireRaw(em: EntityManager): Promise<{ client: pg.ClientBase; release: () => Promise<void> }> {
  const pool = poolOf(em);
  const client = await pool.acquireConnection();
  let released = false;
  return {
    client,
    release: async () => {
      if (released) return;
      released = true;
      await pool.releaseConnection(client);
    },
  };
}

export interface SqlOptions {
  /**
   * Plan with this call's values, every time (an unnamed statement): for a statement whose best
   * plan depends on its values so much that a cached generic plan would be a trap — e.g. a name
   * search, where a rare name wants the trigram index and a common one the newest-first scan.
   */
  planPerCall?: boolean;
}

/** Runs one statement (see the module comment) and returns its rows. */
export async function sql<T>(em: EntityManager, query: string, params: readonly unknown[] = [], options: SqlOptions = {}): Promise<T[]> {
  const c = compile(query);
  if (params.length !== c.placeholders) throw new Error(`SQL statement expects ${c.placeholders} parameters, got ${params.length}`);
  const values = params.map((p) => (p === undefined ? null : p));
  const client = knexClientOf(em);
  const conn = await client.acquireConnection();
  try {
    let names = preparedOn.get(conn);
    if (!names) {
      names = new Set();
      preparedOn.set(conn, names);
    }
    const named = !options.planPerCall && (names.has(c.name) || names.size < MAX_PREPARED);
    const result = await conn.query<T & pg.QueryResultRow>(named ? { name: c.name, text: c.text, values } : { text: c.text, values });
    if (named) names.add(c.name);
    return result.rows;
  } finally {
    await client.releaseConnection(conn);
  }
}

/** The transaction context `transaction` gives its EntityManager: enough for `sql`, nothing else. */
interface RawTransactionContext {
  readonly client: KnexClientLike;
}

/**
 * A transaction on one pooled connection (BEGIN … COMMIT, or ROLLBACK when `fn` throws), with
 * an EntityManager whose statements through `sql` (and so `app.audit.record`) run inside it.
 * Lighter than `em.transactional` (no knex transaction object, no unit of work to flush) for
 * the hot write paths that only use hand-written SQL. Inside `fn`, use `sql` only: the
 * EntityManager's own queries (find, flush) would not see this transaction — the context has
 * none of knex's transaction methods, so they fail instead of running outside it.
 */
export async function transaction<T>(em: EntityManager, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
  if (em.getTransactionContext()) return fn(em);
  const pool = poolOf(em);
  const conn = await pool.acquireConnection();
  const tx = em.fork({ clear: true });
  const context: RawTransactionContext = {
    client: { acquireConnection: async () => conn, releaseConnection: async () => undefined },
  };
  tx.setTransactionContext(context as never);
  try {
    await conn.query('BEGIN');
    const result = await fn(tx);
    await conn.query('COMMIT');
    return result;
  } catch (e) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    tx.resetTransactionContext();
    await pool.releaseConnection(conn);
  }
}
