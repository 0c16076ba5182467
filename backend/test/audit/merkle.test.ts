import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  evalPlan,
  frontierRefs,
  leafHash,
  MerkleFrontier,
  nodeHash,
  pathPlans,
  perfectRoot,
  signCheckpoint,
  verifyCheckpointSignature,
  verifyInclusion,
} from '../../src/modules/audit/audit.crypto.js';
import { loadKeys } from '../../src/lib/keys.js';
import fs from 'node:fs';
import forge from 'node-forge';

/** RFC 6962 §2.1, written straight from the text. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function path(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

const leaves = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`event ${i}`)));

describe('RFC 6962 Merkle tree', () => {
  it('the streaming frontier gives the RFC root for every size 0…70, and reloads from its subtrees', () => {
    const f = new MerkleFrontier();
    expect(f.root()).toEqual(mth([]));
    for (let n = 1; n <= 70; n++) {
      f.append(leaves[n - 1]!);
      expect(f.root().equals(mth(leaves.slice(0, n))), `size ${n}`).toBe(true);
      const refs = frontierRefs(n);
      const reloaded = MerkleFrontier.from(
        n,
        refs.map((r) => perfectRoot(leaves.slice(r.idx * 2 ** r.level, (r.idx + 1) * 2 ** r.level))),
      );
      expect(reloaded.root().equals(f.root())).toBe(true);
    }
  });

  it('reports every completed perfect subtree with its level and index', () => {
    const f = new MerkleFrontier();
    const seen: string[] = [];
    for (let i = 0; i < 16; i++) {
      f.append(leaves[i]!, (level, idx, hash) => {
        expect(hash.equals(perfectRoot(leaves.slice(idx * 2 ** level, (idx + 1) * 2 ** level)))).toBe(true);
        seen.push(`${level}:${idx}`);
      });
    }
    expect(seen).toHaveLength(15);
    expect(seen).toContain('4:0');
  });

  it('inclusion proofs from plans equal the RFC audit paths and verify; a wrong leaf, index or size fails', () => {
    for (const n of [1, 2, 3, 5, 7, 8, 13, 16, 17, 33, 70]) {
      const root = mth(leaves.slice(0, n));
      for (let m = 0; m < n; m++) {
        const proof = pathPlans(m, 0, n).map((p) =>
          evalPlan(p, (r) => perfectRoot(leaves.slice(r.idx * 2 ** r.level, (r.idx + 1) * 2 ** r.level))),
        );
        expect(proof).toEqual(path(m, leaves.slice(0, n)));
        expect(verifyInclusion(m, n, leaves[m]!, proof, root), `${m}/${n}`).toBe(true);
        if (n > 1) {
          expect(verifyInclusion(m, n, leaves[(m + 1) % n]!, proof, root)).toBe(false);
          expect(verifyInclusion((m + 1) % n, n, leaves[m]!, proof, root)).toBe(false);
        }
      }
    }
  });

  it('a checkpoint signed with the service key verifies; with another key, or altered, it does not', () => {
    const dir = `/tmp/audit-keys-${process.pid}-${Date.now()}`;
    const keys = loadKeys(dir, true);
    fs.rmSync(dir, { recursive: true, force: true });
    const cp = signCheckpoint(keys.signing, {
      treeSize: 5,
      rootHash: mth(leaves.slice(0, 5)).toString('hex'),
      chainHash: '00'.repeat(32),
      signedAt: new Date().toISOString(),
    });
    expect(verifyCheckpointSignature(keys.signing.publicKey, cp)).toBe(true);
    const other = forge.pki.ed25519.generateKeyPair({ seed: Buffer.alloc(32, 7) });
    expect(verifyCheckpointSignature(other.publicKey, cp)).toBe(false);
    expect(verifyCheckpointSignature(keys.signing.publicKey, { ...cp, treeSize: 6 })).toBe(false);
    // A valid signature is remembered by its exact bytes: checked again it still holds, and no
    // altered field (nor another signature) rides on it.
    expect(verifyCheckpointSignature(keys.signing.publicKey, cp)).toBe(true);
    const flip = (h: string): string => (h[0] === '0' ? '1' : '0') + h.slice(1);
    for (const altered of [
      { rootHash: flip(cp.rootHash) },
      { chainHash: flip(cp.chainHash) },
      { signedAt: new Date(Date.parse(cp.signedAt) + 1).toISOString() },
      { keyId: `${cp.keyId}x` },
      { treeSize: 4 },
      { signature: Buffer.alloc(64, 1).toString('base64') },
    ]) {
      expect(verifyCheckpointSignature(keys.signing.publicKey, { ...cp, ...altered }), JSON.stringify(altered)).toBe(false);
    }
    expect(verifyCheckpointSignature(other.publicKey, cp)).toBe(false);
  });
});
