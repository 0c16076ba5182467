import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { logStats, recordEvents, runSome, sequencer } from './helpers.js';

describe('database roles', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp({}, { seed: false });
    await recordEvents(t, 3);
    const s = sequencer(t);
    await s.drain();
    await s.stop();
  });
  afterAll(async () => t.close());

  /** Runs `sql` as `role` inside a transaction that is always rolled back. */
  async function as(role: string, sql: string): Promise<void> {
    const c = await t.sql.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SET LOCAL ROLE ${role}`);
      await c.query(sql);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  }

  const denied = /permission denied/;

  it.each(['audit_queue', 'audit_log', 'audit_checkpoint', 'audit_merkle_node'])(
    'samverka_app cannot UPDATE, DELETE or TRUNCATE %s',
    async (table) => {
      await expect(
        as(
          'samverka_app',
          `UPDATE ${table} SET ${table === 'audit_checkpoint' ? 'key_id' : table === 'audit_merkle_node' ? 'level' : 'reason'} = ${table === 'audit_merkle_node' ? 'level' : "'x'"}`,
        ),
      ).rejects.toThrow(denied);
      await expect(as('samverka_app', `DELETE FROM ${table}`)).rejects.toThrow(denied);
      await expect(as('samverka_app', `TRUNCATE ${table}`)).rejects.toThrow(denied);
    },
  );

  it('samverka_app may insert into the queue and read the log, but cannot write the log, tree or checkpoints', async () => {
    await as(
      'samverka_app',
      "INSERT INTO audit_queue (event_id, action, resource_type, outcome) VALUES (gen_random_uuid(), 'x.y', 'z', 'allowed')",
    );
    await as('samverka_app', 'SELECT count(*) FROM audit_event_v');
    await expect(
      as(
        'samverka_app',
        "INSERT INTO audit_log SELECT 999, 999, 1, gen_random_uuid(), now(), NULL, NULL, NULL, 'a', 'b', NULL, NULL, NULL, 'allowed', NULL, '{}', NULL, NULL, sha256(''), sha256('')",
      ),
    ).rejects.toThrow(denied);
    await expect(
      as(
        'samverka_app',
        "INSERT INTO audit_checkpoint (tree_size, root_hash, chain_hash, signed_at, key_id, signature) VALUES (99, sha256(''), sha256(''), now(), 'k', 's')",
      ),
    ).rejects.toThrow(denied);
    await expect(as('samverka_app', "INSERT INTO audit_merkle_node VALUES (5, 99, sha256(''))")).rejects.toThrow(denied);
  });

  it('samverka_app keeps ordinary DML on other tables', async () => {
    await expect(as('samverka_app', 'UPDATE agency SET name = name WHERE false')).resolves.toBeUndefined();
    await expect(as('samverka_app', 'DELETE FROM login_throttle WHERE false')).resolves.toBeUndefined();
  });

  it('the sequencer runs as samverka_audit_sequencer (SET ROLE on its connection), which can only append', async () => {
    await expect(as('samverka_audit_sequencer', 'DELETE FROM audit_log')).rejects.toThrow(denied);
    await expect(
      as(
        'samverka_audit_sequencer',
        "INSERT INTO audit_queue (event_id, action, resource_type, outcome) VALUES (gen_random_uuid(), 'x.y', 'z', 'allowed')",
      ),
    ).rejects.toThrow(denied);
    await recordEvents(t, 4);
    const s = sequencer(t, { dbRole: 'samverka_audit_sequencer' });
    await runSome(s);
    await s.drain();
    await s.stop();
    expect((await logStats(t.sql)).n).toBe(7);
  });

  it('the superuser is stopped by the triggers too', async () => {
    await expect(t.sql.query('UPDATE audit_log SET reason = NULL')).rejects.toThrow(/append-only/);
    await expect(t.sql.query('DELETE FROM audit_queue')).rejects.toThrow(/append-only/);
    await expect(t.sql.query('TRUNCATE audit_checkpoint')).rejects.toThrow(/append-only/);
  });
});
