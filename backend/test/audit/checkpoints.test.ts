import { randomUUID } from 'node:crypto';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDocument } from '../../src/cli/audit-verify.js';
import { verifyInclusion } from '../../src/modules/audit/audit.crypto.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { recordEvents, sequencer, sleep } from './helpers.js';

interface Cp {
  treeSize: number;
  signedAt: string;
  rootHash: string;
  keyId: string;
  signature: string;
  chainHash: string;
}

describe('checkpoints and inclusion proofs', () => {
  let t: TestContext;
  let auditor: string;
  const subject = randomUUID();
  beforeAll(async () => {
    t = await createTestApp();
    auditor = await login(t.app, 'auditor');
  });
  afterAll(async () => t.close());

  it('checkpoints only grow in size and time, are re-signed when idle, and the database refuses one that goes back', async () => {
    const s = sequencer(t, { batchSize: 7, checkpointEvery: 5, idleResignSeconds: 0 });
    for (let i = 0; i < 4; i++) {
      await recordEvents(t, 6, i % 2 ? { subjectId: subject } : {});
      await s.drain();
    }
    await s.runOnce();
    await sleep(5);
    await s.runOnce();
    await s.stop();
    const list = (await t.sql.query<{ n: string; at: Date }>('SELECT tree_size AS n, signed_at AS at FROM audit_checkpoint ORDER BY id'))
      .rows;
    expect(list.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < list.length; i++) {
      expect(Number(list[i]!.n)).toBeGreaterThanOrEqual(Number(list[i - 1]!.n));
      expect(list[i]!.at.getTime()).toBeGreaterThanOrEqual(list[i - 1]!.at.getTime());
    }
    const last = list[list.length - 1]!;
    const prev = list[list.length - 2]!;
    expect(Number(last.n)).toBe(Number(prev.n)); // idle re-sign: same size, newer time
    await expect(
      t.sql.query(
        "INSERT INTO audit_checkpoint (tree_size, root_hash, chain_hash, signed_at, key_id, signature) VALUES (1, sha256(''), sha256(''), now(), 'k', 's')",
      ),
    ).rejects.toThrow(/back in size or time/);
    await expect(
      t.sql.query(
        "INSERT INTO audit_checkpoint (tree_size, root_hash, chain_hash, signed_at, key_id, signature) VALUES (999, sha256(''), sha256(''), now() - interval '1 day', 'k', 's')",
      ),
    ).rejects.toThrow(/back in size or time/);
  });

  it('the API lists checkpoints newest first with the key; verification with another key fails', async () => {
    const res = await t.app.inject({ url: '/api/audit/checkpoints?limit=3', headers: bearer(auditor) });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { items: Cp[]; keyId: string };
    expect(body.items).toHaveLength(3);
    expect(body.items[0]!.treeSize).toBeGreaterThanOrEqual(body.items[1]!.treeSize);
    expect(body.keyId).toBe(t.app.keys.signing.kid);
    expect(await t.app.auditQueries.verify(t.orm.em.fork())).toMatchObject({ ok: true, size: 25 }); // 24 + the auditor's sign-in
    const other = forge.pki.ed25519.generateKeyPair({ seed: Buffer.alloc(32, 9) });
    const bad = await t.app.auditQueries.verifyWithKey(t.orm.em.fork(), other.publicKey);
    expect(bad).toMatchObject({ ok: false, firstBadSeq: 1 });
    expect(bad.problem).toMatch(/signature/);
  });

  it("a subject's extract carries inclusion proofs that verify against the signed checkpoint, offline too; the extract is audited", async () => {
    const res = await t.app.inject({ url: `/api/audit/subjects/${subject}/extract`, headers: bearer(auditor) });
    expect(res.statusCode, res.body).toBe(200);
    const x = res.json() as {
      checkpoint: Cp;
      events: { seq: number; leafIndex: number; leafHash: string; inclusionProof: string[] | null; actorName: string | null }[];
      unsequenced: number;
    };
    expect(x.events).toHaveLength(12);
    expect(x.unsequenced).toBe(1); // the extract's own audit event, not yet sequenced
    for (const e of x.events) {
      expect(e.inclusionProof).not.toBeNull();
      expect(
        verifyInclusion(
          e.leafIndex,
          x.checkpoint.treeSize,
          Buffer.from(e.leafHash, 'hex'),
          e.inclusionProof!.map((h) => Buffer.from(h, 'hex')),
          Buffer.from(x.checkpoint.rootHash, 'hex'),
        ),
      ).toBe(true);
    }
    const pinned = Buffer.from(t.app.keys.signing.publicKey);
    expect(verifyDocument(res.json(), pinned)).toMatchObject({ kind: 'extract', ok: true, proven: 12 });

    const altered = res.json() as { events: { reason: string }[] };
    altered.events[3]!.reason = 'emergency';
    expect(verifyDocument(altered as unknown as Record<string, unknown>, pinned)).toMatchObject({ ok: false });
    const other = forge.pki.ed25519.generateKeyPair({ seed: Buffer.alloc(32, 3) });
    expect(verifyDocument(res.json(), Buffer.from(other.publicKey))).toMatchObject({ ok: false });

    const logged = await t.sql.query("SELECT 1 FROM audit_queue WHERE action = 'audit.extract' AND subject_id = $1", [subject]);
    expect(logged.rowCount).toBe(1);
  });

  it('events newer than the latest checkpoint are listed without proof (pending) and still verify', async () => {
    await recordEvents(t, 2, { subjectId: subject });
    const s = sequencer(t, { checkpointEvery: 1000 });
    await s.drain();
    await s.stop();
    const res = await t.app.inject({ url: `/api/audit/subjects/${subject}/extract`, headers: bearer(auditor) });
    const doc = res.json() as Record<string, unknown>;
    expect(verifyDocument(doc, Buffer.from(t.app.keys.signing.publicKey))).toMatchObject({ ok: true, proven: 12, pending: 3 });
  });
});
