/**
 * Offline verifier for audit exports and log extracts. Needs nothing but the file and the
 * service's public key (no database, no network):
 *
 *   npm run audit:verify -- export.jsonl [--public-key key.pem]
 *
 * Accepts the JSON-lines export of GET /api/audit/export, the same as one JSON document
 * ({ publicKey, checkpoints, events }), or a subject's extract (GET /api/audit/subjects/:id/extract).
 * Exit code 0: intact; 1: tampered (the first bad sequence number is printed); 2: unusable input.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import {
  keyId,
  parsePublicKey,
  StreamingVerifier,
  verifyExtract,
  type Checkpoint,
  type ExtractEvent,
  type ExtractVerifyResult,
  type LogEvent,
  type VerifyResult,
} from '../modules/audit/audit.crypto.js';

export class ExportFormatError extends Error {}

export type OfflineResult = ({ kind: 'log' } & VerifyResult) | ({ kind: 'extract' } & ExtractVerifyResult);

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function toEvent(o: Record<string, unknown>): LogEvent {
  if (!Number.isSafeInteger(o.seq)) throw new ExportFormatError('an event has no valid seq');
  return {
    seq: o.seq as number,
    eventId: str(o.eventId) ?? '',
    occurredAt: str(o.occurredAt) ?? '',
    actorId: str(o.actorId),
    actorAgencyId: str(o.actorAgencyId),
    actorRole: str(o.actorRole),
    action: str(o.action) ?? '',
    resourceType: str(o.resourceType) ?? '',
    resourceId: str(o.resourceId),
    caseId: str(o.caseId),
    subjectId: str(o.subjectId),
    outcome: str(o.outcome) ?? '',
    reason: str(o.reason),
    consentIds: Array.isArray(o.consentIds) ? o.consentIds.map((c) => String(c)) : [],
    requestId: str(o.requestId),
    clientIp: str(o.clientIp),
  };
}

function toCheckpoint(o: Record<string, unknown>): Checkpoint {
  if (!Number.isSafeInteger(o.treeSize)) throw new ExportFormatError('a checkpoint has no valid treeSize');
  return {
    treeSize: o.treeSize as number,
    rootHash: str(o.rootHash) ?? '',
    chainHash: str(o.chainHash) ?? '',
    signedAt: str(o.signedAt) ?? '',
    keyId: str(o.keyId) ?? '',
    signature: str(o.signature) ?? '',
  };
}

const hex = (v: unknown): Buffer | null => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? Buffer.from(v, 'hex') : null);

function embeddedKey(header: Record<string, unknown> | undefined): Buffer | null {
  const pk = header?.publicKey as Record<string, unknown> | undefined;
  const text = str(pk?.pem) ?? str(pk?.publicKey);
  return text ? parsePublicKey(text) : null;
}

function chooseKey(pinned: Buffer | undefined, embedded: Buffer | null, warn: (m: string) => void): Buffer {
  if (pinned) {
    if (embedded && !embedded.equals(pinned)) warn('the key embedded in the file differs from the pinned key; using the pinned key');
    return pinned;
  }
  if (!embedded) throw new ExportFormatError('no public key: pass --public-key');
  warn('using the public key embedded in the file: pin the published key with --public-key to rule out a forged file');
  return embedded;
}

/** Verifies a parsed export or extract document. */
export function verifyDocument(doc: Record<string, unknown>, pinned?: Buffer, warn: (m: string) => void = () => {}): OfflineResult {
  const key = chooseKey(pinned, embeddedKey(doc), warn);
  if (doc.format === 'samverka-audit-extract/v1' || doc.format === 'samverka-citizen-extract/v1') {
    const cp = doc.checkpoint ? toCheckpoint(doc.checkpoint as Record<string, unknown>) : null;
    const heldBack = doc.agenciesHeldBack === true;
    const events = ((doc.events as Record<string, unknown>[] | undefined) ?? []).map((o) => {
      const e = toEvent(o);
      // The person's copy lists what it left out; a protected person's extract leaves out who
      // accessed on every event (those fields read null).
      const listed = Array.isArray(o.redacted) ? o.redacted.map(String) : [];
      const held = heldBack && e.actorId === null && e.actorAgencyId === null && e.clientIp === null ? ['actorAgencyId'] : [];
      return {
        ...e,
        leafIndex: Number(o.leafIndex),
        leafHash: str(o.leafHash) ?? '',
        inclusionProof: Array.isArray(o.inclusionProof) ? o.inclusionProof.map(String) : null,
        redacted: [...listed, ...held],
      } satisfies ExtractEvent;
    });
    return { kind: 'extract', ...verifyExtract(key, cp, events) };
  }
  if (!Array.isArray(doc.events) || !Array.isArray(doc.checkpoints))
    throw new ExportFormatError('not an audit export: expected events and checkpoints');
  const v = new StreamingVerifier(key, (doc.checkpoints as Record<string, unknown>[]).map(toCheckpoint));
  const events = doc.events as Record<string, unknown>[];
  for (const o of events) if (!v.push(toEvent(o), hex(o.leafHash), hex(o.chainHash))) break;
  return { kind: 'log', ...v.finish(events.length) };
}

/** Verifies an export or extract file (JSON lines or one JSON document), streaming JSON lines. */
export async function verifyExportFile(file: string, pinned?: Buffer, warn: (m: string) => void = () => {}): Promise<OfflineResult> {
  const fd = fs.openSync(file, 'r');
  const first = Buffer.alloc(64 * 1024);
  const n = fs.readSync(fd, first, 0, first.length, 0);
  fs.closeSync(fd);
  const head = first.subarray(0, n).toString('utf8');
  const firstLine = head.split('\n', 1)[0]!.trim();
  let isLines: boolean;
  try {
    const o = JSON.parse(firstLine) as Record<string, unknown>;
    isLines = o.type === 'header';
  } catch {
    isLines = false;
  }
  if (!isLines) {
    let doc: unknown;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      throw new ExportFormatError('the file is neither JSON lines nor a JSON document');
    }
    if (!doc || typeof doc !== 'object') throw new ExportFormatError('not an audit export');
    return verifyDocument(doc as Record<string, unknown>, pinned, warn);
  }

  // Two passes over JSON lines: header and checkpoints first, then the events, streamed.
  const lines = (): readline.Interface => readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let header: Record<string, unknown> | undefined;
  const checkpoints: Checkpoint[] = [];
  for await (const line of lines()) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as Record<string, unknown>;
    if (o.type === 'header') header = o;
    else if (o.type === 'checkpoint') checkpoints.push(toCheckpoint(o));
  }
  const key = chooseKey(pinned, embeddedKey(header), warn);
  const v = new StreamingVerifier(key, checkpoints);
  let total = 0;
  let going = true;
  for await (const line of lines()) {
    if (!line.trim()) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new ExportFormatError(`line ${total + 1 + checkpoints.length + 1} is not JSON`);
    }
    if (o.type !== 'event') continue;
    total += 1;
    if (going) going = v.push(toEvent(o), hex(o.leafHash), hex(o.chainHash));
  }
  return { kind: 'log', ...v.finish(total) };
}

async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--');
  let keyFile: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--public-key' || args[i] === '--key') keyFile = args[++i];
    else files.push(args[i]!);
  }
  if (files.length !== 1) {
    process.stderr.write(
      'usage: npm run audit:verify -- <export.jsonl | export.json | extract.json> [--public-key <key.pem | base64 | hex>]\n',
    );
    return 2;
  }
  let pinned: Buffer | undefined;
  if (keyFile) {
    const text = fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8') : keyFile;
    const k = parsePublicKey(text);
    if (!k) {
      process.stderr.write('the public key is not an Ed25519 key (PEM, base64 or hex of 32 bytes)\n');
      return 2;
    }
    pinned = k;
  }
  try {
    const r = await verifyExportFile(files[0]!, pinned, (m) => process.stderr.write(`warning: ${m}\n`));
    if (pinned) process.stdout.write(`key ${keyId(pinned)}\n`);
    if (r.kind === 'extract') {
      if (r.ok)
        process.stdout.write(
          `OK extract: ${r.events} events, ${r.proven} proven against the signed checkpoint${r.provenByLeafOnly ? ` (${r.provenByLeafOnly} with fields left out: proven by their leaf hash only)` : ''}, ${r.pending} not yet covered\n`,
        );
      else process.stdout.write(`TAMPERED extract: first bad seq ${r.firstBadSeq} (${r.problem})\n`);
      return r.ok ? 0 : 1;
    }
    if (r.ok) {
      process.stdout.write(
        `OK log: ${r.size} events, ${r.checkpointsVerified} checkpoints verified${r.lastCheckpoint ? `, last signed at ${r.lastCheckpoint.signedAt} for ${r.lastCheckpoint.treeSize} events` : ''}\n`,
      );
      return 0;
    }
    process.stdout.write(`TAMPERED log: first bad seq ${r.firstBadSeq} (${r.problem}); verified up to ${r.verifiedUpTo} of ${r.size}\n`);
    return 1;
  } catch (e) {
    process.stderr.write(`cannot verify: ${e instanceof ExportFormatError ? e.message : 'the file cannot be read'}\n`);
    return 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(2),
  );
}
