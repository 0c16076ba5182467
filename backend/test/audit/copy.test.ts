import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyOutBinary, COPY_EVENT_SELECT, LeafBuilder } from '../../src/modules/audit/audit.copy.js';
import { canonicalEvent, eventLeafHash } from '../../src/modules/audit/audit.crypto.js';
import { EVENT_COLUMNS, rowToEvent } from '../../src/modules/audit/audit.sql.js';
import { createTestApp, type TestContext } from '../helpers/app.js';

/**
 * The verifier's fast path builds canonical bytes straight from binary COPY rows. They must be
 * byte for byte those of canonicalEvent (JSON.stringify), which the sequencer hashes and the
 * offline verifier recomputes — also for strings that need JSON escapes.
 */
describe('canonical bytes from binary COPY', () => {
  let t: TestContext;
  const tricky: (string | null)[] = [
    null,
    '',
    'plain',
    'say "hi"',
    'back\\slash',
    'tab\there',
    'new\nline',
    '\u0001\u001f',
    'åäö ÅÄÖ',
    '😀 emoji',
    '\u2028\u2029',
    'ends with \\',
    '=HYPERLINK("http://x")',
    'comma, inside',
    '\u007f del',
  ];
  // Around PostgreSQL's epoch (2000-01-01), leap days, before 1970, far ahead, full microseconds, and now.
  const TIMES = [
    '2000-01-01T00:00:00Z',
    '1999-12-31T23:59:59.999999Z',
    '2000-01-01T00:00:00.000001Z',
    '1970-01-01T00:00:00Z',
    '1969-07-20T20:17:40.5Z',
    '2024-02-29T12:34:56.789012Z',
    '2100-02-28T23:59:59Z',
    '2400-02-29T00:00:00.000100Z',
    '9999-12-31T23:59:59.999999Z',
    '1000-01-01T00:00:00Z',
    '2026-11-27T09:14:03.123456Z',
    '2038-01-19T03:14:08Z',
    '1900-03-01T00:00:00Z',
    new Date().toISOString(),
    '2026-03-29T01:30:00+01:00',
  ];
  // Every byte position with distinct values, and the extremes (uuids are written two bytes at a time).
  const FIXED_UUIDS = [
    '00112233-4455-6677-8899-aabbccddeeff',
    'ffeeddcc-bbaa-9988-7766-554433221100',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    '01020304-0506-0708-090a-0b0c0d0e0f10',
  ];
  beforeAll(async () => {
    t = await createTestApp({}, { seed: false });
    const c = await t.sql.connect();
    try {
      let seq = 0;
      for (const s of tricky) {
        seq += 1;
        const consents = seq % 3 === 0 ? [] : seq % 3 === 1 ? [randomUUID()] : [randomUUID(), randomUUID(), randomUUID()];
        await c.query(
          `INSERT INTO audit_log (seq, queue_id, queue_txid, event_id, occurred_at, actor_id, actor_agency_id, actor_role, action, resource_type,
             resource_id, case_id, subject_id, outcome, reason, consent_ids, request_id, client_ip, leaf_hash, chain_hash)
           VALUES ($1::bigint, $1::bigint, 1, $2, $15::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, 'allowed', $11, $12::uuid[], $13, $14, sha256('x'), sha256('y'))`,
          [
            seq,
            FIXED_UUIDS[seq - 1] ?? randomUUID(),
            seq % 2 ? (FIXED_UUIDS[seq] ?? randomUUID()) : null,
            seq % 2 ? null : randomUUID(),
            s,
            `a.${seq}`,
            s ?? 'case',
            s,
            seq % 2 ? randomUUID() : null,
            randomUUID(),
            s,
            consents,
            s,
            s,
            TIMES[(seq - 1) % TIMES.length],
          ],
        );
      }
    } finally {
      c.release();
    }
  });
  afterAll(async () => t.close());

  it('are the same bytes as canonicalEvent for every row, with the stored hashes read alongside', async () => {
    const c = await t.sql.connect();
    try {
      const text = (await c.query({ text: `SELECT seq, ${EVENT_COLUMNS()} FROM audit_log ORDER BY seq`, rowMode: 'array' }))
        .rows as unknown[][];
      const expected = text.map((r) => rowToEvent(Number(r[0]), r, 1));
      const builder = new LeafBuilder();
      const got: { seq: number; bytes: string; leaf: string; stored: string }[] = [];
      const n = await copyOutBinary(c, `COPY (${COPY_EVENT_SELECT('')}) TO STDOUT (FORMAT binary)`, (b, o) => {
        const bytes = Buffer.from(builder.canonical(b, o));
        got.push({
          seq: builder.seq,
          bytes: bytes.subarray(1).toString('utf8'),
          leaf: builder.leaf(b, o).toString('hex'),
          stored: builder.storedLeaf!.toString('hex'),
        });
      });
      expect(n).toBe(tricky.length);
      expect(got.map((g) => g.seq)).toEqual(expected.map((e) => e.seq));
      for (let i = 0; i < expected.length; i++) {
        expect(got[i]!.bytes).toBe(canonicalEvent(expected[i]!).toString('utf8'));
        expect(got[i]!.leaf).toBe(eventLeafHash(expected[i]!).toString('hex'));
        expect(got[i]!.stored).toBe((await c.query("SELECT encode(sha256('x'), 'hex') AS h")).rows[0].h);
      }
    } finally {
      c.release();
    }
  });

  it('a COPY that fails on the server rejects, and the connection stays usable', async () => {
    const c = await t.sql.connect();
    try {
      await expect(copyOutBinary(c, 'COPY (SELECT 1/0) TO STDOUT (FORMAT binary)', () => {})).rejects.toThrow(/division by zero/);
      expect((await c.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      await expect(copyOutBinary(c, 'COPY (SELECT 1) TO STDOUT (FORMAT binary)', () => {})).rejects.toThrow(/unexpected COPY tuple/);
      expect((await c.query('SELECT 2 AS two')).rows[0].two).toBe(2);
    } finally {
      c.release();
    }
  });
});

describe("the workers' SHA-256 helpers", () => {
  it('equal audit.crypto.ts for leaves, chain links and tree nodes, at any offset', async () => {
    const { chainLinkMatches, equal32, nodeHashInto, sha256Into } = await import('../../src/modules/audit/audit.sha256.js');
    const { chainHash, leafHash, nodeHash } = await import('../../src/modules/audit/audit.crypto.js');
    const { randomBytes } = await import('node:crypto');
    const out = new Uint8Array(100);
    for (let i = 0; i < 500; i++) {
      const a = randomBytes(32);
      const b = randomBytes(32);
      const at = i % 60;
      nodeHashInto(a, 0, b, 0, out, at);
      expect(Buffer.from(out.subarray(at, at + 32)).equals(nodeHash(a, b))).toBe(true);
      const both = Buffer.concat([randomBytes(at), a, b]);
      const link = chainHash(a, b);
      expect(chainLinkMatches(both, at, both, at + 32, link, 0)).toBe(true);
      link[i % 32] = link[i % 32]! ^ (1 << (i % 8));
      expect(chainLinkMatches(both, at, both, at + 32, link, 0)).toBe(false);
      const canonical = randomBytes(i);
      sha256Into(Buffer.concat([Buffer.from([0]), canonical]), out, at);
      expect(Buffer.from(out.subarray(at, at + 32)).equals(leafHash(canonical))).toBe(true);
      expect(equal32(out, at, leafHash(canonical), 0)).toBe(true);
      expect(equal32(out, at, link, 0)).toBe(false);
    }
    nodeHashInto(Buffer.alloc(32), 0, Buffer.alloc(32), 0, out, 0);
    expect(Buffer.from(out.subarray(0, 32)).toString('hex')).toBe(nodeHash(Buffer.alloc(32), Buffer.alloc(32)).toString('hex'));
  });
});
