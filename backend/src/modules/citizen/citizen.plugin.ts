import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sql } from '../../db/sql.js';
import { HttpProblem, unauthorized } from '../../lib/problem.js';
import { clientRequestIdOf, type AuditContext } from '../../plugins/app/audit.js';
import { VerifiedTokens } from '../../plugins/app/auth.js';
import { citizenScope } from './citizen.scope.js';
import type { CitizenActor, CitizenAssertion, CitizenRelation, CitizenSignIn } from './citizen.types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in citizen on a citizen route (set by the citizen plugin's hook). */
    citizenActor: CitizenActor | null;
  }
}

interface CitizenClaims {
  sub: string;
  sid: string;
  exp: number;
  typ?: unknown;
}

interface SessionRow {
  personal_identity_number: string;
  acr: string;
  authenticated_at: Date;
  assertion_sha256: string;
  transaction_ref: string;
  expires_at: Date;
}

/** When each resolved actor's session ends (the actor type stays what the routes need). */
const sessionEnds = new WeakMap<CitizenActor, Date>();

/** When the citizen's session ends, whatever happens (for the web app's cookie and the "signed in until" line). */
export function sessionExpiresAt(actor: CitizenActor): Date {
  const at = sessionEnds.get(actor);
  if (!at) throw new Error('not an actor resolved by the citizen plugin');
  return at;
}

const PIN = /^[0-9]{12}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export const reauthenticationRequired = (): HttpProblem =>
  new HttpProblem(403, 'reauthentication_required', 'Sign in again to confirm', 'Sign in again with your e-identification to confirm.');

/**
 * The citizen side's sessions. A citizen token is signed with the API's own key but for another
 * audience (`<JWT_AUDIENCE>/citizen`) and with `typ: citizen`, so a staff token is refused on
 * citizen routes and a citizen token on staff routes. Its lifetime is the session's: the session
 * ends `sessionMinutes` after sign-in whatever happens (no refresh), and the session row is
 * checked on every request, so sign-out holds at once.
 */
export default fp(
  async function citizenPlugin(app: FastifyInstance) {
    const policy = app.policy.policies.citizen;
    const audience = `${app.config.JWT_AUDIENCE}/citizen`;
    const verified = new VerifiedTokens();
    app.decorateRequest('citizenActor', null);

    const actorOf = async (em: EntityManager, sessionId: string): Promise<CitizenActor | null> => {
      const [row] = await sql<SessionRow>(
        em,
        `SELECT personal_identity_number, acr, authenticated_at, assertion_sha256, transaction_ref, expires_at
           FROM citizen_session WHERE id = ? AND ended_at IS NULL AND expires_at > now()`,
        [sessionId],
      );
      if (!row) return null;
      const actor: CitizenActor = {
        sessionId,
        personalIdentityNumber: row.personal_identity_number,
        acr: row.acr,
        authenticatedAt: new Date(row.authenticated_at),
        assertionSha256: row.assertion_sha256,
        transactionRef: row.transaction_ref,
      };
      sessionEnds.set(actor, new Date(row.expires_at));
      return actor;
    };

    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config?.citizen !== true || request.is404) return;
      const header = request.headers.authorization;
      if (!header || !/^Bearer [A-Za-z0-9._~+/-]+=*$/.test(header)) throw unauthorized('Sign in with your e-identification to continue.');
      const token = header.slice('Bearer '.length);
      let claims = verified.get(token, Date.now());
      if (!claims) {
        let decoded: CitizenClaims;
        try {
          decoded = app.jwt.verify<CitizenClaims>(token, { allowedAud: audience });
        } catch {
          throw unauthorized('Your sign-in is no longer valid. Sign in again with your e-identification.');
        }
        if (decoded.typ !== 'citizen' || typeof decoded.sid !== 'string' || typeof decoded.exp !== 'number') {
          throw unauthorized('Your sign-in is no longer valid. Sign in again with your e-identification.');
        }
        claims = { sub: decoded.sub, sid: decoded.sid, exp: decoded.exp };
        verified.set(token, claims);
      }
      const actor = await actorOf(request.em, claims.sid);
      if (!actor) throw unauthorized('Your session has ended. Sign in again with your e-identification.');
      request.citizenActor = actor;
    });

    app.decorate('citizen', {
      async require(request: FastifyRequest): Promise<CitizenActor> {
        if (!request.citizenActor) throw unauthorized('Sign in with your e-identification to continue.');
        return request.citizenActor;
      },

      scope: (em: EntityManager, actor: CitizenActor) => citizenScope(em, policy, actor.personalIdentityNumber),

      async issue(em: EntityManager, assertion: CitizenAssertion): Promise<CitizenSignIn> {
        if (!PIN.test(assertion.personalIdentityNumber)) throw new RangeError('personal identity number must be 12 digits');
        if (!SHA256_HEX.test(assertion.assertionSha256)) throw new RangeError('assertion hash must be SHA-256 hex');
        const sessionId = randomUUID();
        const expiresIn = policy.sessionMinutes * 60;
        // Ended sessions are forgotten as new ones start: a row holds a personal identity number
        // and is of no use once over (the audit trail records who did what, not the session).
        await sql(
          em,
          `WITH gone AS (DELETE FROM citizen_session WHERE expires_at < now() OR ended_at IS NOT NULL)
           INSERT INTO citizen_session (id, personal_identity_number, acr, assertion_sha256, transaction_ref, authenticated_at, expires_at)
           VALUES (?, ?, ?, ?, ?, coalesce(?::timestamptz, now()), now() + make_interval(secs => ?))`,
          [
            sessionId,
            assertion.personalIdentityNumber,
            assertion.acr,
            assertion.assertionSha256,
            assertion.transactionRef,
            assertion.authenticatedAt?.toISOString() ?? null,
            expiresIn,
          ],
        );
        // The subject is the session, never the person's number: tokens end up in places logs reach.
        const claims = { sub: sessionId, sid: sessionId, typ: 'citizen' };
        const accessToken = app.jwt.sign(claims, { aud: audience, expiresIn: `${expiresIn}s` });
        return { accessToken, expiresIn, sessionId };
      },

      auditContext(request: FastifyRequest, relation: CitizenRelation | null): AuditContext {
        return {
          actorId: relation ? (relation.as === 'guardian' ? relation.guardianId : relation.subjectId) : null,
          actorAgencyId: null,
          actorRole: relation ? `citizen_${relation.as}` : 'citizen',
          requestId: String(request.id),
          clientIp: request.ip ?? null,
          clientRequestId: clientRequestIdOf(request.headers),
        };
      },

      requireFreshAssertion(actor: CitizenActor): void {
        if (Date.now() - actor.authenticatedAt.getTime() > policy.signatureFreshMinutes * 60_000) throw reauthenticationRequired();
      },
    });
  },
  { name: 'citizen', dependencies: ['jwt', 'auth'] },
);
