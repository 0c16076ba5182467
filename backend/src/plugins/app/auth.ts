import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden, passwordChangeRequired, unauthorized } from '../../lib/problem.js';
import { IdentityService } from '../../modules/identity/identity.service.js';
import type { Actor } from '../../types.js';
import { auditContextOf } from './audit.js';

declare module 'fastify' {
  interface FastifyInstance {
    identity: IdentityService;
    /** Role gate through the policy decision point; a denial is audited, then answered 403. */
    requireAction(request: FastifyRequest, action: string, resourceType: string): Promise<Actor>;
  }
}

interface Claims {
  sub: string;
  sid: string;
  exp: number;
}

/**
 * Access tokens already verified, by their exact text, until they expire: a repeated request
 * skips decoding, hashing and checking the token again (about 50 µs a request in CPU profiles of
 * the case routes). Only a token that passed every check is kept, with its own expiry; the
 * session check after it still runs on every request, so sign-out and deactivation hold at once.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, { claims: Claims; expiresAtMs: number }>();

  constructor(private readonly max = 10_000) {}

  get(token: string, nowMs: number): Claims | null {
    const hit = this.entries.get(token);
    if (!hit) return null;
    if (hit.expiresAtMs <= nowMs) {
      this.entries.delete(token);
      return null;
    }
    return hit.claims;
  }

  set(token: string, claims: Claims): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { claims, expiresAtMs: claims.exp * 1000 });
  }
}

/**
 * Default deny: every route needs a live session unless it is declared `config: { public: true }`
 * (or is a citizen route, `config: { citizen: true }`, which the citizen plugin guards).
 * The bearer token is verified (EdDSA, iss, aud, exp) and then the server-side session is checked
 * on every request, so sign-out and deactivation take effect on the very next request.
 */
export default fp(
  async function authPlugin(app: FastifyInstance) {
    const identity = new IdentityService(app);
    app.decorate('identity', identity);
    app.addHook('onReady', async () => identity.sessions.listen(String(app.orm.config.get('clientUrl'))));
    app.addHook('onClose', async () => identity.sessions.close());
    app.decorateRequest('actor', null);
    const verified = new VerifiedTokens();

    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config?.public === true || request.is404) return;
      // Citizen routes have their own sessions and tokens (modules/citizen/citizen.plugin.ts).
      if (request.routeOptions.config?.citizen === true) return;
      const header = request.headers.authorization;
      if (!header || !/^Bearer [A-Za-z0-9._~+/-]+=*$/.test(header)) throw unauthorized('Sign in to continue.');
      const token = header.slice('Bearer '.length);
      let claims = verified.get(token, Date.now());
      if (!claims) {
        try {
          claims = await request.jwtVerify<Claims>();
        } catch {
          throw unauthorized('Your sign-in is no longer valid. Sign in again.');
        }
        if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.exp !== 'number') throw unauthorized();
        verified.set(token, claims);
      }
      const actor = await identity.resolveActor(request.em, claims.sub, claims.sid).catch((e: unknown) => {
        // A malformed id in a validly signed token cannot happen; a database failure can.
        if (e instanceof Error && /invalid input syntax/.test(e.message)) return null;
        throw e;
      });
      if (!actor) throw unauthorized('Your session has ended. Sign in again.');
      request.actor = actor;
      if (actor.mustChangePassword && request.routeOptions.config?.whilePasswordChangeDue !== true) throw passwordChangeRequired();
    });

    app.decorate('requireAction', async (request: FastifyRequest, action: string, resourceType: string): Promise<Actor> => {
      const actor = request.actor;
      if (!actor) throw unauthorized();
      const decision = app.policy.roleAllows(actor, action);
      if (!decision.allow) {
        await app.audit.record(request.em, auditContextOf(request), { action, resourceType, outcome: 'denied', reason: decision.reason });
        throw forbidden();
      }
      return actor;
    });
  },
  { name: 'auth', dependencies: ['jwt'] },
);
