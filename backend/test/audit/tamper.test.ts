import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyExportFile } from '../../src/cli/audit-verify.js';
import { canonicalEvent, chainHash, leafHash, ZERO_HASH } from '../../src/modules/audit/audit.crypto.js';
import { EVENT_COLUMNS, rowToEvent } from '../../src/modules/audit/audit.sql.js';
import { exportLinesOn, verifyLogOn } from '../../src/modules/audit/audit.service.js';
import { stopVerifyWorkers } from '../../src/modules/audit/audit.verifier.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { recordEvents, sequencer } from './helpers.js';

const backendDir = path.resolve(import.meta.dirname, '../..');

describe('tamper evidence', () => {
  let t: TestContext;
  let tmp: string;
  let pub: Uint8Array;
  let sizes: number[] = [];
  beforeAll(async () => {
    t = await createTestApp();
    pub = t.app.keys.signing.publicKey;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-tamper-'));
    // 40 events, checkpoints at 10, 20, 30, 40.
    const s = sequencer(t, { batchSize: 10, checkpointEvery: 10 });
    await recordEvents(t, 40);
    await s.drain();
    await s.checkpointNow();
    await s.stop();
    // Batches (and so checkpoints) usually fall at 10, 20, 30, 40; a transaction open elsewhere on
    // the cluster can hold the xmin horizon and split a batch, so read the real sizes.
    sizes = (await t.sql.query<{ n: string }>('SELECT tree_size AS n FROM audit_checkpoint ORDER BY id')).rows.map((r) => Number(r.n));
  });
  afterAll(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    await stopVerifyWorkers();
    await t.close();
  });

  /** Runs `tamper` as superuser with the triggers disabled, verifies in the same transaction, then rolls back. */
  async function tampered(
    tamper: (c: pg.PoolClient) => Promise<void>,
    file?: string,
  ): Promise<{ online: Awaited<ReturnType<typeof verifyLogOn>>; offline: Awaited<ReturnType<typeof verifyExportFile>> }> {
    const c = await t.sql.connect();
    try {
      await c.query('BEGIN');
      await c.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await tamper(c);
      const online = await verifyLogOn(c, pub);
      // The parallel path (worker threads, aligned batches of 8) must report exactly the same.
      expect(await verifyLogOn(c, pub, { workers: 2, batch: 8, minEvents: 0 })).toEqual(online);
      const out = file ?? path.join(tmp, `export-${Math.random().toString(16).slice(2)}.jsonl`);
      let text = '';
      for await (const chunk of exportLinesOn(c, t.app.auditQueries.publicKey())) text += chunk;
      fs.writeFileSync(out, text);
      const offline = await verifyExportFile(out, Buffer.from(pub));
      return { online, offline };
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  }

  it('the untouched log verifies, online and offline', async () => {
    const r = await tampered(async () => {});
    expect(sizes[sizes.length - 1]).toBe(40);
    expect(r.online).toMatchObject({ ok: true, size: 40, verifiedUpTo: 40, checkpointsVerified: sizes.length });
    expect(r.offline).toMatchObject({ ok: true, size: 40 });
  });

  it('even the superuser cannot UPDATE, DELETE or TRUNCATE while the triggers are on', async () => {
    await expect(t.sql.query("UPDATE audit_log SET reason = 'x' WHERE seq = 1")).rejects.toThrow(/append-only/);
    await expect(t.sql.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/append-only/);
    await expect(t.sql.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    await expect(t.sql.query("UPDATE audit_queue SET reason = 'x'")).rejects.toThrow(/append-only/);
    await expect(t.sql.query('DELETE FROM audit_checkpoint')).rejects.toThrow(/append-only/);
    await expect(t.sql.query('TRUNCATE audit_queue')).rejects.toThrow(/append-only/);
  });

  it('one changed byte in event 7 → first bad seq 7', async () => {
    const r = await tampered(async (c) => {
      await c.query("UPDATE audit_log SET client_ip = '127.0.0.2' WHERE seq = 7");
    });
    expect(r.online).toMatchObject({ ok: false, firstBadSeq: 7, verifiedUpTo: 6 });
    expect(r.offline).toMatchObject({ ok: false, firstBadSeq: 7 });
  });

  it('a deleted row (13) → first bad seq 13', async () => {
    const r = await tampered(async (c) => {
      await c.query('DELETE FROM audit_log WHERE seq = 13');
    });
    expect(r.online).toMatchObject({ ok: false, firstBadSeq: 13, size: 39 });
    expect(r.offline).toMatchObject({ ok: false, firstBadSeq: 13 });
  });

  it('two swapped rows (5 and 9) → first bad seq 5', async () => {
    const r = await tampered(async (c) => {
      await c.query('UPDATE audit_log SET seq = 1000 WHERE seq = 5');
      await c.query('UPDATE audit_log SET seq = 5 WHERE seq = 9');
      await c.query('UPDATE audit_log SET seq = 9 WHERE seq = 1000');
    });
    expect(r.online).toMatchObject({ ok: false, firstBadSeq: 5 });
    expect(r.offline).toMatchObject({ ok: false, firstBadSeq: 5 });
  });

  it('a truncated tail (31–40 deleted) → first bad seq 31, caught by the signed checkpoint of 40', async () => {
    const r = await tampered(async (c) => {
      await c.query('DELETE FROM audit_log WHERE seq > 30');
    });
    expect(r.online).toMatchObject({ ok: false, firstBadSeq: 31, verifiedUpTo: 30 });
    expect(r.offline).toMatchObject({ ok: false, firstBadSeq: 31 });
  });

  it('an attacker who rewrites event 12 and recomputes every hash after it is caught at the checkpoint: first unproven seq = last good checkpoint + 1', async () => {
    const r = await tampered(async (c) => {
      await c.query("UPDATE audit_log SET action = 'case.list' WHERE seq = 12");
      const rows = (await c.query({ text: `SELECT seq, ${EVENT_COLUMNS()} FROM audit_log ORDER BY seq`, rowMode: 'array' }))
        .rows as unknown[][];
      let chain: Buffer = ZERO_HASH;
      for (const row of rows) {
        const leaf = leafHash(canonicalEvent(rowToEvent(Number(row[0]), row, 1)));
        chain = chainHash(chain, leaf);
        if (Number(row[0]) >= 12)
          await c.query('UPDATE audit_log SET leaf_hash = $1, chain_hash = $2 WHERE seq = $3', [leaf, chain, row[0]]);
      }
    });
    const lastGood = Math.max(0, ...sizes.filter((n) => n < 12)); // 10 when batches fell at multiples of 10
    expect(r.online).toMatchObject({ ok: false, firstBadSeq: lastGood + 1, verifiedUpTo: lastGood });
    expect(r.offline).toMatchObject({ ok: false, firstBadSeq: lastGood + 1 });
  });

  it('the CLI agrees: exit 0 on the intact export, exit 1 with the first bad seq on a tampered one, 2 on garbage', async () => {
    const good = path.join(tmp, 'good.jsonl');
    const bad = path.join(tmp, 'bad.jsonl');
    const keyFile = path.join(tmp, 'key.pem');
    fs.writeFileSync(keyFile, t.app.auditQueries.publicKey().pem);
    await tampered(async () => {}, good);
    await tampered(async (c) => {
      await c.query("UPDATE audit_log SET outcome = 'denied' WHERE seq = 22");
    }, bad);
    const run = (file: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/audit-verify.ts', file, '--public-key', keyFile], {
        cwd: backendDir,
        encoding: 'utf8',
      });
    const ok = run(good);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^OK log: 40 events/m);
    const ko = run(bad);
    expect(ko.status).toBe(1);
    expect(ko.stdout).toMatch(/first bad seq 22/);
    fs.writeFileSync(path.join(tmp, 'garbage.json'), 'not json');
    expect(run(path.join(tmp, 'garbage.json')).status).toBe(2);
  });

  it('committed tampering is reported by GET /api/audit/verify', async () => {
    const auditor = await login(t.app, 'auditor');
    await t.sql.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    await t.sql.query("UPDATE audit_log SET resource_id = 'r-X' WHERE seq = 17");
    await t.sql.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
    const res = await t.app.inject({ url: '/api/audit/verify', headers: bearer(auditor) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: false, size: 40, firstBadSeq: 17, verifiedUpTo: 16 });
  });
});
