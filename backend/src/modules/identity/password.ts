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

/** Refused at once: every verification slot is taken and the queue is full. */
export class HashGateFull extends Error {}

/**
 * At most `concurrency` password verifications at once, at most `queue` waiting for a slot; any
 * further one is refused at once instead of queueing without bound (argon2 takes ~19 MiB and
 * tens of milliseconds of a core each: an unbounded queue would let a flood of sign-ins take the
 * server's memory and every other request's time).
 */
export class HashGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly queue: number,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.running += 1;
    } else {
      if (this.waiting.length >= this.queue) throw new HashGateFull('password verification queue is full');
      // The finishing run hands its slot straight to the next in line.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
