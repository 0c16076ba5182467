import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A document as stored: AES-256-GCM ciphertext, its IV and authentication tag. */
export interface Sealed {
  iv: Buffer;
  authTag: Buffer;
  ciphertext: Buffer;
}

/** The document's id is the additional data: a ciphertext copied onto another row does not open. */
const aad = (id: string): Buffer => Buffer.from(`samverka-document:${id}`, 'utf8');

/** Encrypts one document under `key` (32 bytes) with a fresh 12-byte IV. Pure apart from the random IV. */
export function sealDocument(key: Buffer, id: string, plaintext: Buffer): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(aad(id));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, authTag: cipher.getAuthTag(), ciphertext };
}

/** Decrypts and authenticates one document; null when anything (bytes, IV, tag, id, key) does not match. */
export function openDocument(key: Buffer, id: string, sealed: Sealed): Buffer | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: 16 });
    decipher.setAAD(aad(id));
    decipher.setAuthTag(sealed.authTag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    return null;
  }
}

export const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
