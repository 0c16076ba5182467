import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export interface CitizenSignInOptions {
  /** 12 digits, as the provider vouches for it. */
  personalIdentityNumber: string;
  /** Default: the level of assurance the service requires (LoA3). */
  acr?: string;
  /** When the person authenticated at the provider (default: now); an old one tests the fresh-signature rule. */
  authenticatedAt?: Date;
}

export interface CitizenTestSession {
  token: string;
  sessionId: string;
  headers: { authorization: string };
}

/**
 * A citizen signed in as if the e-service identity provider had vouched for them (the callback's
 * last step, `app.citizen.issue`), with a made-up assertion hash and transaction reference.
 */
export async function citizenSignIn(app: FastifyInstance, options: CitizenSignInOptions): Promise<CitizenTestSession> {
  const assertion = randomBytes(32);
  const signIn = await app.citizen.issue(app.orm.em.fork(), {
    personalIdentityNumber: options.personalIdentityNumber,
    acr: options.acr ?? 'http://id.elegnamnden.se/loa/1.0/loa3',
    assertionSha256: createHash('sha256').update(assertion).digest('hex'),
    transactionRef: `test-${assertion.subarray(0, 8).toString('hex')}`,
    ...(options.authenticatedAt ? { authenticatedAt: options.authenticatedAt } : {}),
  });
  return { token: signIn.accessToken, sessionId: signIn.sessionId, headers: { authorization: `Bearer ${signIn.accessToken}` } };
}
