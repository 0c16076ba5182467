/**
 * The server's fast path for reading the log: `COPY (SELECT …) TO STDOUT (FORMAT binary)` on a
 * pg connection, and the canonical event bytes built straight from each binary row — no row
 * objects, no JSON.stringify per event. The bytes are exactly those of `canonicalEvent` in
 * audit.crypto.ts (the encoding is unchanged; test/audit/copy.test.ts holds the two together):
 *
 *   ["samverka.audit.event/v1",<seq>,"<eventId>","<occurredAt>",…,[<consent ids>],…,"<clientIp>"]
 *
 * uuids and the timestamp are formatted from their binary forms; a text field is written as `"` + its UTF-8 bytes + `"` when none of its bytes needs a JSON
 * escape (`"`, `\` or a control character below 0x20; PostgreSQL's UTF-8 text never holds lone
 * surrogates, the only other thing JSON.stringify changes). Otherwise the field goes through
 * JSON.stringify, so a tampered row can never be read as a different split of fields.
 */
import { hash } from 'node:crypto';
import type pg from 'pg';
import { EVENT_FORMAT } from './audit.crypto.js';

/**
 * The columns COPY reads, in order: seq, stored leaf and chain hashes, then the event fields in
 * canonical order — in PostgreSQL's binary forms (uuid: 16 bytes, timestamptz: µs since
 * 2000-01-01, uuid[]: the binary array), which cost the server far less to send than text
 * (to_char and uuid_out were the bottleneck); they are formatted here exactly as the text path
 * (EVENT_COLUMNS) formats them.
 */
export const COPY_EVENT_SELECT = (where: string): string => `SELECT seq, leaf_hash, chain_hash, event_id, occurred_at, actor_id,
  actor_agency_id, actor_role, action, resource_type, resource_id, case_id, subject_id, outcome, reason, consent_ids, request_id, client_ip
  FROM audit_log ${where} ORDER BY seq`;

/** How each of the 15 event fields arrives. */
const KINDS = ['uuid', 'ts', 'uuid', 'uuid', 'text', 'text', 'text', 'text', 'uuid', 'uuid', 'text', 'text', 'uuids', 'text', 'text'] as const;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).map((h) => [h.charCodeAt(0), h.charCodeAt(1)] as const);

function writeUuidBytes(out: Buffer, w: number, b: Buffer, o: number): number {
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out[w++] = 0x2d; // -
    const [h, l] = HEX[b[o + i]!]!;
    out[w++] = h;
    out[w++] = l;
  }
  return w;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
/** Days from 1970-01-01 to 2000-01-01 (PostgreSQL's epoch). */
const PG_EPOCH_DAYS = 10957;
const DAY_US = 86_400_000_000;

/**
 * A timestamptz (µs since 2000-01-01 UTC) as to_char(… AT TIME ZONE 'UTC',
 * 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') writes it. Outside the years 1000–9999 (or ±infinity) the
 * result is a marker that matches no stored leaf, so such a row is reported, never passed.
 */
export function formatTimestamp(b: Buffer, o: number): string {
  const hi = b.readInt32BE(o);
  const lo = b.readUInt32BE(o + 4);
  let days: number;
  let rest: number;
  if (Math.abs(hi) < 0x200000) {
    const us = hi * 4294967296 + lo;
    days = Math.floor(us / DAY_US);
    rest = us - days * DAY_US;
  } else {
    const us = b.readBigInt64BE(o);
    const d = us / 86_400_000_000n - (us % 86_400_000_000n < 0n ? 1n : 0n);
    days = Number(d);
    rest = Number(us - d * 86_400_000_000n);
  }
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  const z = days + PG_EPOCH_DAYS + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 1000 || year > 9999) return 'unsupported-timestamp';
  const sec = Math.floor(rest / 1_000_000);
  const us = rest - sec * 1_000_000;
  return `${year}-${pad(month, 2)}-${pad(day, 2)}T${pad(Math.floor(sec / 3600), 2)}:${pad(Math.floor(sec / 60) % 60, 2)}:${pad(sec % 60, 2)}.${pad(us, 6)}Z`;
}

/** uuid[] in binary array form → `["a","b"]` (NULL elements skipped, as array_to_string does; any dimensions flattened). */
function writeUuidArray(out: Buffer, w: number, b: Buffer, o: number, len: number): number {
  out[w++] = 0x5b; // [
  if (len > 0) {
    const ndim = b.readInt32BE(o);
    let count = ndim > 0 ? 1 : 0;
    let p = o + 12;
    for (let d = 0; d < ndim; d++) {
      count *= b.readInt32BE(p);
      p += 8;
    }
    let first = true;
    for (let i = 0; i < count; i++) {
      const l = b.readInt32BE(p);
      p += 4;
      if (l < 0) continue;
      if (!first) out[w++] = 0x2c;
      first = false;
      out[w++] = 0x22;
      w = l === 16 ? writeUuidBytes(out, w, b, p) : w + out.write('invalid-uuid', w, 'latin1');
      out[w++] = 0x22;
      p += l;
    }
  }
  out[w++] = 0x5d; // ]
  return w;
}

const FIELD_COUNT = 18;
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

interface PgConnection {
  query(text: string): void;
  stream: NodeJS.ReadableStream & { listeners(e: 'data'): ((b: Buffer) => void)[] };
}

/** Lets the consumer hold the server back while it catches up (pauses the socket). */
export interface CopyFlow {
  pause(): void;
  resume(): void;
}

/**
 * Runs a binary `COPY … TO STDOUT` and hands every tuple's bytes to `onTuple` (a view valid only
 * during the call). Resolves with the number of tuples. An exception thrown by `onTuple` stops
 * further calls and rejects once the server has finished the statement.
 *
 * While the COPY data flows, the socket's bytes are framed here rather than by pg's parser (one
 * message object and event per row would cost more than the row's hashing); at the first
 * message that is not CopyOutResponse or CopyData (CopyDone, an error) pg's own parser gets the
 * socket back, with the rest of the bytes, and finishes the statement as usual.
 */
export function copyOutBinary(
  client: pg.ClientBase, sql: string, onTuple: (buf: Buffer, offset: number) => void, flow?: (f: CopyFlow) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let tuples = 0;
    let failure: unknown = null;
    let headerSeen = false;
    const handle = (chunk: Buffer): void => {
      let o = 0;
      if (!headerSeen) {
        if (chunk.length < 19 || !chunk.subarray(0, 11).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
        o = 19 + chunk.readUInt32BE(15);
        headerSeen = true;
      }
      while (o < chunk.length) {
        const n = chunk.readInt16BE(o);
        if (n === -1) return;
        if (n !== FIELD_COUNT) throw new Error(`unexpected COPY tuple of ${n} fields`);
        tuples += 1;
        onTuple(chunk, o);
        o = skipTuple(chunk, o);
      }
    };
    const copyData = (chunk: Buffer): void => {
      if (failure) return;
      try {
        handle(chunk);
      } catch (e) {
        failure = e;
      }
    };
    const submittable = {
      submit(connection: PgConnection): void {
        connection.query(sql);
        const stream = connection.stream;
        const original = stream.listeners('data');
        let pending: Buffer | null = null;
        const handBack = (rest: Buffer): void => {
          // CopyDone, CommandComplete, ErrorResponse…: back to pg's parser.
          stream.removeListener('data', onData);
          for (const l of original) stream.on('data', l);
          for (const l of original) l(rest);
        };
        const onData = (data: Buffer): void => {
          let buf = data;
          let o = 0;
          if (pending) {
            if (pending.length >= 5 && (pending[0] === 0x64 || pending[0] === 0x48)) {
              // Complete the frame that straddled the previous chunk without copying this one.
              const need = 1 + pending.readUInt32BE(1) - pending.length;
              if (data.length < need) {
                pending = Buffer.concat([pending, data]);
                return;
              }
              const frame = Buffer.concat([pending, data.subarray(0, need)]);
              pending = null;
              if (frame[0] === 0x64) copyData(frame.subarray(5));
              o = need;
            } else {
              buf = Buffer.concat([pending, data]);
              pending = null;
            }
          }
          while (buf.length - o >= 5) {
            const type = buf[o]!;
            if (type !== 0x64 && type !== 0x48) return handBack(buf.subarray(o));
            const end = o + 1 + buf.readUInt32BE(o + 1);
            if (end > buf.length) break;
            if (type === 0x64) copyData(buf.subarray(o + 5, end));
            o = end;
          }
          if (o < buf.length) pending = Buffer.from(buf.subarray(o));
        };
        stream.removeAllListeners('data');
        stream.on('data', onData);
        flow?.({ pause: () => stream.pause(), resume: () => stream.resume() });
      },
      handleCopyData(msg: { chunk: Buffer }): void {
        copyData(msg.chunk);
      },
      handleCommandComplete(): void {},
      handleEmptyQuery(): void {},
      handleRowDescription(): void {},
      handleDataRow(): void {},
      handlePortalSuspended(): void {},
      handleReadyForQuery(): void {
        if (failure) reject(failure);
        else resolve(tuples);
      },
      handleError(err: unknown): void {
        reject(err);
      },
    };
    client.query(submittable as unknown as pg.QueryConfig);
  });
}

/** Offset just past the tuple at `o`. */
export function tupleEnd(b: Buffer, o: number): number {
  return skipTuple(b, o);
}

function skipTuple(b: Buffer, o: number): number {
  const n = b.readInt16BE(o);
  o += 2;
  for (let i = 0; i < n; i++) {
    const len = b.readInt32BE(o);
    o += 4 + (len > 0 ? len : 0);
  }
  return o;
}

/**
 * Builds `0x00 || canonical bytes` of the tuple at `o` into a reused scratch buffer and returns
 * its leaf hash, with the stored seq, leaf and chain hashes of the row.
 */
export class LeafBuilder {
  private buf = Buffer.alloc(4096);
  private readonly head = Buffer.from(`\0["${EVENT_FORMAT}",`, 'utf8');
  seq = 0;
  storedLeaf: Buffer | null = null;
  storedChain: Buffer | null = null;

  /** Reads the tuple at `o`; returns the leaf hash computed from its fields. */
  leaf(b: Buffer, o: number): Buffer {
    return hash('sha256', this.canonical(b, o), 'buffer');
  }

  /** `0x00 || canonical bytes` (a view into the scratch buffer, valid until the next call). */
  canonical(b: Buffer, o: number): Buffer {
    o += 2;
    // seq (int8)
    let len = b.readInt32BE(o);
    o += 4;
    if (len !== 8) throw new Error('seq is not an int8');
    this.seq = b.readUInt32BE(o) * 4294967296 + b.readUInt32BE(o + 4);
    o += 8;
    len = b.readInt32BE(o);
    o += 4;
    this.storedLeaf = len === 32 ? b.subarray(o, o + 32) : null;
    o += Math.max(len, 0);
    len = b.readInt32BE(o);
    o += 4;
    this.storedChain = len === 32 ? b.subarray(o, o + 32) : null;
    o += Math.max(len, 0);

    // Upper bound of the output: every byte escaped as \u00XX (6 bytes) or a uuid's 16 bytes as 36, plus quotes and commas.
    let need = this.head.length + 24;
    for (let i = 0, p = o; i < 15; i++) {
      const l = b.readInt32BE(p);
      p += 4 + Math.max(l, 0);
      need += 40 + Math.max(l, 0) * 6;
    }
    if (need > this.buf.length) this.buf = Buffer.alloc(Math.max(need, this.buf.length * 2));
    const out = this.buf;
    let w = this.head.copy(out, 0);
    w += out.write(String(this.seq), w, 'latin1');
    for (let i = 0; i < 15; i++) {
      out[w++] = 0x2c; // ,
      len = b.readInt32BE(o);
      o += 4;
      const kind = KINDS[i]!;
      if (kind === 'uuids') {
        w = writeUuidArray(out, w, b, o, len);
      } else if (len < 0) {
        out[w++] = 0x6e; // null
        out[w++] = 0x75;
        out[w++] = 0x6c;
        out[w++] = 0x6c;
      } else if (kind === 'uuid' && len === 16) {
        out[w++] = 0x22;
        w = writeUuidBytes(out, w, b, o);
        out[w++] = 0x22;
      } else if (kind === 'ts' && len === 8) {
        w += out.write(`"${formatTimestamp(b, o)}"`, w, 'latin1');
      } else {
        w = writeString(out, w, b, o, len);
      }
      o += Math.max(len, 0);
    }
    out[w++] = 0x5d; // ]
    return out.subarray(0, w);
  }
}

/** Copies the field between quotes, checking each byte on the way (no Buffer.copy call for short fields). */
function writeString(out: Buffer, w: number, b: Buffer, start: number, len: number): number {
  const end = start + len;
  const w0 = w;
  out[w++] = 0x22;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c < 0x20 || c === 0x22 || c === 0x5c) return w0 + out.write(JSON.stringify(b.toString('utf8', start, end)), w0, 'utf8');
    out[w++] = c;
  }
  out[w++] = 0x22;
  return w;
}
