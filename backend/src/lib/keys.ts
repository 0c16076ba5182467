import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import { ConfigError } from '../config.js';

export interface JwtKeys {
  privateKeyPem: string;
  publicKeyPem: string;
  kid: string;
}

/** The service's own signing key (consent receipts, audit checkpoints), used through node-forge. */
export interface SigningKey {
  privateKey: forge.pki.ed25519.NativeBuffer;
  publicKey: forge.pki.ed25519.NativeBuffer;
  kid: string;
}

export interface ServiceKeys {
  jwt: JwtKeys;
  signing: SigningKey;
  /** AES-256 key (32 bytes) that encrypts uploaded documents at rest. */
  documents: Buffer;
  /** AES-256 key (32 bytes) that seals users' TOTP secrets, which the server must read back. */
  totp: Buffer;
}

function kidOf(publicKey: Buffer): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 16);
}

function writeSecret(file: string, content: string | Buffer): void {
  fs.writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
}

/**
 * Loads the keys from `dir`. When `generateIfMissing` (DEMO=1, and the test suite) the keys are
 * created on first use; otherwise they must be provisioned beforehand.
 */
export function loadKeys(dir: string, generateIfMissing: boolean): ServiceKeys {
  const jwtPrivate = path.join(dir, 'jwt-ed25519.pem');
  const signingSeed = path.join(dir, 'signing-ed25519.seed');
  const documentsKey = path.join(dir, 'documents-aes256.key');
  const totpKey = path.join(dir, 'totp-aes256.key');
  if (generateIfMissing) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(jwtPrivate)) {
      const { privateKey } = generateKeyPairSync('ed25519');
      writeSecret(jwtPrivate, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    }
    if (!fs.existsSync(signingSeed)) {
      writeSecret(
        signingSeed,
        forge.random
          .getBytesSync(32)
          .split('')
          .map((c) => c.charCodeAt(0).toString(16).padStart(2, '0'))
          .join(''),
      );
    }
    if (!fs.existsSync(documentsKey)) writeSecret(documentsKey, randomBytes(32));
    if (!fs.existsSync(totpKey)) writeSecret(totpKey, randomBytes(32));
  }
  for (const f of [jwtPrivate, signingSeed, documentsKey, totpKey]) {
    if (!fs.existsSync(f)) {
      throw new ConfigError(
        `Missing key file ${path.basename(f)} in KEYS_DIR: provision the keys there (README.md, "Configuration"), or start with DEMO=1 to generate development keys.`,
      );
    }
  }
  const privateKeyPem = fs.readFileSync(jwtPrivate, 'utf8');
  const publicKey = createPublicKey(privateKeyPem);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const jwt: JwtKeys = { privateKeyPem, publicKeyPem, kid: kidOf(publicKey.export({ type: 'spki', format: 'der' })) };

  const seedHex = fs.readFileSync(signingSeed, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(seedHex)) throw new Error('signing-ed25519.seed must hold 32 bytes as hex');
  const pair = forge.pki.ed25519.generateKeyPair({ seed: Buffer.from(seedHex, 'hex') });
  const signing: SigningKey = { privateKey: pair.privateKey, publicKey: pair.publicKey, kid: kidOf(Buffer.from(pair.publicKey)) };
  const documents = fs.readFileSync(documentsKey);
  if (documents.length !== 32)
    throw new ConfigError('documents-aes256.key in KEYS_DIR must hold exactly 32 random bytes (e.g. `openssl rand 32`).');
  const totp = fs.readFileSync(totpKey);
  if (totp.length !== 32) throw new ConfigError('totp-aes256.key in KEYS_DIR must hold exactly 32 random bytes (e.g. `openssl rand 32`).');
  return { jwt, signing, documents, totp };
}

/** Signs bytes with the service key through node-forge; returns base64. */
export function signDetached(key: SigningKey, message: string | Buffer): string {
  const sig = forge.pki.ed25519.sign({ message: Buffer.from(message), privateKey: key.privateKey });
  return Buffer.from(sig).toString('base64');
}

export function verifyDetached(publicKey: Uint8Array, message: string | Buffer, signatureB64: string): boolean {
  try {
    const signature = Buffer.from(signatureB64, 'base64');
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    return forge.pki.ed25519.verify({ message: Buffer.from(message), signature, publicKey: Buffer.from(publicKey) });
  } catch {
    return false;
  }
}
