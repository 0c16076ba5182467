import argon2 from 'argon2';

// OWASP's argon2id baseline (19 MiB, 2 iterations, 1 lane): strong, and cheap enough that a
// burst of sign-ins does not starve the 2-core servers this runs on.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string): Promise<string> => argon2.hash(password, OPTIONS);

let dummyHash: Promise<string> | undefined;

/** Verifies; for an unknown user it still spends the time of a verification (no user enumeration by timing). */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (hash === null) {
    dummyHash ??= hashPassword('not-a-real-password-for-timing');
    await argon2.verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return argon2.verify(hash, password).catch(() => false);
}
