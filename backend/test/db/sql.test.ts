import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positional, sql, transaction } from '../../src/db/sql.js';
import { createTestApp, type TestContext } from '../helpers/app.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestApp({}, { seed: false });
  await t.sql.query('CREATE TABLE sql_probe (id int PRIMARY KEY, note text)');
});
afterAll(async () => t?.close());

describe('positional', () => {
  it('numbers ? placeholders but leaves literals, quoted identifiers and comments alone', () => {
    expect(positional(`SELECT ?, '?', "a?b", ?::uuid[] -- what?\nFROM x WHERE y = ?`)).toEqual({
      text: `SELECT $1, '?', "a?b", $2::uuid[] -- what?\nFROM x WHERE y = $3`,
      placeholders: 3,
    });
  });
});

describe('sql', () => {
  it('binds values as parameters (a quote in a value is data) and refuses a wrong parameter count', async () => {
    const em = t.orm.em.fork();
    const [row] = await sql<{ v: string; n: number[] }>(em, 'SELECT ?::text AS v, ?::int[] AS n', [
      "O'Brien; DROP TABLE sql_probe",
      [1, 2],
    ]);
    expect(row).toEqual({ v: "O'Brien; DROP TABLE sql_probe", n: [1, 2] });
    await expect(sql(em, 'SELECT ?', [])).rejects.toThrow(/expects 1 parameters/);
  });
});

describe('transaction', () => {
  it('commits what fn wrote', async () => {
    await transaction(t.orm.em.fork(), async (tx) => {
      await sql(tx, 'INSERT INTO sql_probe (id, note) VALUES (?, ?)', [1, 'kept']);
    });
    expect((await t.sql.query('SELECT note FROM sql_probe WHERE id = 1')).rows).toEqual([{ note: 'kept' }]);
  });

  it('rolls everything back when fn throws, and the error reaches the caller', async () => {
    await expect(
      transaction(t.orm.em.fork(), async (tx) => {
        await sql(tx, 'INSERT INTO sql_probe (id, note) VALUES (?, ?)', [2, 'gone']);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect((await t.sql.query('SELECT count(*)::int AS n FROM sql_probe WHERE id = 2')).rows[0].n).toBe(0);
  });

  it('runs every statement of fn on one connection, inside the transaction', async () => {
    const pids = await transaction(t.orm.em.fork(), async (tx) => {
      const a = await sql<{ pid: number; x: string }>(tx, 'SELECT pg_backend_pid() AS pid, txid_current_if_assigned()::text AS x');
      await sql(tx, 'INSERT INTO sql_probe (id, note) VALUES (?, ?)', [3, 'x']);
      const b = await sql<{ pid: number; x: string }>(tx, 'SELECT pg_backend_pid() AS pid, txid_current_if_assigned()::text AS x');
      return [a[0]!, b[0]!] as const;
    });
    expect(pids[0].pid).toBe(pids[1].pid);
    expect(pids[1].x).not.toBeNull();
  });

  it("refuses the EntityManager's own queries inside it instead of running them outside the transaction", async () => {
    await expect(
      transaction(t.orm.em.fork(), async (tx) => {
        await tx.getConnection().execute('SELECT 1', [], 'all', tx.getTransactionContext());
      }),
    ).rejects.toThrow();
  });
});
