import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(16 * 256);
let next = pool.length;

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Ids minted
 * close in time sort close together, so an index on them grows at its right edge instead of
 * touching a random page of a large index on every insert (the audit queue's event ids).
 */
export function uuidv7(now = Date.now()): string {
  if (next + 16 > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const o = next;
  next += 16;
  const ms = Math.max(0, Math.floor(now));
  pool[o] = Math.floor(ms / 2 ** 40) & 0xff;
  pool[o + 1] = Math.floor(ms / 2 ** 32) & 0xff;
  pool[o + 2] = (ms >>> 24) & 0xff;
  pool[o + 3] = (ms >>> 16) & 0xff;
  pool[o + 4] = (ms >>> 8) & 0xff;
  pool[o + 5] = ms & 0xff;
  pool[o + 6] = 0x70 | (pool[o + 6]! & 0x0f);
  pool[o + 8] = 0x80 | (pool[o + 8]! & 0x3f);
  // One hex string and five slices: a read's statement mints a hundred of these at a time, and
  // building one of them a character pair at a time left some 700 bytes of garbage behind.
  const h = pool.toString('hex', o, o + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
