import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import * as client from 'openid-client';
import { sql } from '../../../db/sql.js';
import { parsePersonalIdentityNumber } from '../../../lib/personnummer.js';
import type { HttpProblem } from '../../../lib/problem.js';
import type { AuditContext } from '../../../plugins/app/audit.js';
import { OidcClients, type ProviderSettings, ProviderUnavailable } from '../../identity/oidc/oidc.clients.js';
import type { CitizenActor } from '../citizen.types.js';
import { acrTooLow, notConfigured, providerRefused, providerUnavailable, responseInvalid, signInExpired } from './citizen-auth.problems.js';

/** How long a started sign-in may take at the provider before its `state` is refused. */
const FLOW_TTL_SECONDS = 600;

/** Where the provider sends the browser back: a page of the web app, which calls the callback below. */
export const CITIZEN_REDIRECT_PATH = '/citizen/login/callback';

/** Where the web app may send the citizen after signing in: a citizen page, nothing else. */
export const RETURN_TO = /^\/citizen(\/[A-Za-z0-9/_-]*)?$/;

export interface CitizenCallbackParams {
  state: string;
  code?: string | undefined;
  iss?: string | undefined;
  error?: string | undefined;
  error_description?: string | undefined;
}

export interface CitizenSignedIn {
  accessToken: string;
  expiresIn: number;
  /** The citizen page the sign-in was started from, if it named one. */
  returnTo: string | null;
}

const stateHash = (state: string): string => createHash('sha256').update(state).digest('base64url');

/**
 * The citizen's sign-in through the municipality's e-service identity provider: the authorization
 * code flow with PKCE S256, `state` (hashed, single use, 10 minutes) and `nonce`, and the level of
 * assurance asked for and then required. The provider's signed ID token is the evidence: its
 * SHA-256 and transaction reference go into the citizen session (and from there into the evidence
 * of a digital consent). The personnummer is never logged nor audited.
 */
export class CitizenSignInService {
  private readonly clients: OidcClients;
  private readonly redirectUri: string;
  private readonly settings: ProviderSettings | null;

  constructor(private readonly app: FastifyInstance) {
    const c = app.config;
    this.clients = new OidcClients(c.KEYS_DIR, c.NODE_ENV !== 'production');
    this.redirectUri = `${c.ORIGIN}${CITIZEN_REDIRECT_PATH}`;
    this.settings =
      c.CITIZEN_OIDC_ISSUER && c.CITIZEN_OIDC_CLIENT_ID
        ? {
            // OidcClients caches per agency; the citizen provider is the one entry under this key.
            agencyId: 'citizen',
            issuer: c.CITIZEN_OIDC_ISSUER,
            clientId: c.CITIZEN_OIDC_CLIENT_ID,
            clientSecretRef: c.CITIZEN_OIDC_CLIENT_SECRET ?? null,
            scopes: ['openid'],
            subjectClaim: c.CITIZEN_OIDC_PIN_CLAIM,
            acrValues: [c.CITIZEN_OIDC_ACR],
            updatedAt: '',
          }
        : null;
  }

  /** The provider's authorization URL for a new sign-in. */
  async start(em: EntityManager, returnTo: string | undefined, ctx: AuditContext, log: FastifyBaseLogger): Promise<string> {
    if (!this.settings) throw notConfigured();
    const config = await this.configuration(em, this.settings, ctx, log);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: 'openid',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      acr_values: this.settings.acrValues.join(' '),
      // Every sign-in is a new e-identification: its assertion is the evidence of what the person then does.
      prompt: 'login',
    });
    await sql(
      em,
      `WITH gone AS (DELETE FROM citizen_flow WHERE expires_at < now())
       INSERT INTO citizen_flow (state_hash, nonce, code_verifier, return_to, expires_at)
       VALUES (?, ?, ?, ?, now() + make_interval(secs => ?))`,
      [stateHash(state), nonce, codeVerifier, returnTo !== undefined && RETURN_TO.test(returnTo) ? returnTo : null, FLOW_TTL_SECONDS],
    );
    return url.href;
  }

  /** Finishes a sign-in: consumes its `state`, redeems the code, checks the ID token, starts the citizen session. */
  async callback(em: EntityManager, params: CitizenCallbackParams, ctx: AuditContext, log: FastifyBaseLogger): Promise<CitizenSignedIn> {
    const audit = { action: 'citizen.sign_in', resourceType: 'citizen_session' } as const;
    const deny = async (reason: string, problem: HttpProblem): Promise<never> => {
      await this.app.audit.record(em, ctx, { ...audit, outcome: 'denied', reason });
      throw problem;
    };
    // Deleted whatever happens next: a state is good for one callback only.
    const [flow] = await sql<{ nonce: string; code_verifier: string; return_to: string | null; live: boolean }>(
      em,
      'DELETE FROM citizen_flow WHERE state_hash = ? RETURNING nonce, code_verifier, return_to, expires_at > now() AS live',
      [stateHash(params.state)],
    );
    if (!flow?.live) return deny('unknown_state', signInExpired());
    if (!this.settings) return deny('not_configured', notConfigured());
    const config = await this.configuration(em, this.settings, ctx, log);

    const currentUrl = new URL(this.redirectUri);
    for (const [k, v] of Object.entries(params)) if (typeof v === 'string') currentUrl.searchParams.set(k, v);
    let idToken: string;
    let claims: client.IDToken;
    try {
      const tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: flow.code_verifier,
        expectedState: params.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const c = tokens.claims();
      if (!c || typeof tokens.id_token !== 'string') return deny('id_token_missing', responseInvalid());
      idToken = tokens.id_token;
      claims = c;
    } catch (e) {
      if (e instanceof client.AuthorizationResponseError) return deny('provider_refused', providerRefused());
      if (e instanceof client.ResponseBodyError || e instanceof client.ClientError) {
        const code = e instanceof client.ClientError && e.code ? e.code.toLowerCase() : 'token_error';
        log.warn({ reason: code }, 'citizen OpenID callback refused');
        return deny(code, responseInvalid());
      }
      log.warn({ error: e instanceof Error ? e.name : typeof e }, 'citizen OpenID provider unreachable');
      return deny('provider_unavailable', providerUnavailable());
    }

    if (claims.acr !== this.app.config.CITIZEN_OIDC_ACR) return deny('acr_too_low', acrTooLow());
    const pinClaim = claims[this.app.config.CITIZEN_OIDC_PIN_CLAIM];
    const pin = typeof pinClaim === 'string' && /^[0-9]{12}$/.test(pinClaim) ? parsePersonalIdentityNumber(pinClaim) : null;
    if (!pin || pin.normalized !== pinClaim) return deny('personal_identity_number_invalid', responseInvalid());

    const assertionSha256 = createHash('sha256').update(idToken).digest('hex');
    const txn = claims[this.app.config.CITIZEN_OIDC_TXN_CLAIM];
    const transactionRef =
      typeof txn === 'string' && txn.length >= 1 && txn.length <= 200
        ? txn
        : typeof claims.jti === 'string' && claims.jti.length >= 1 && claims.jti.length <= 200
          ? claims.jti
          : assertionSha256.slice(0, 32);
    const authenticatedAt = typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000) : undefined;

    return em.transactional(async (tx) => {
      const signIn = await this.app.citizen.issue(tx, {
        personalIdentityNumber: pin.normalized,
        acr: claims.acr as string,
        assertionSha256,
        transactionRef,
        ...(authenticatedAt && authenticatedAt.getTime() <= Date.now() ? { authenticatedAt } : {}),
      });
      await this.app.audit.record(tx, ctx, { ...audit, resourceId: signIn.sessionId, outcome: 'allowed' });
      return { accessToken: signIn.accessToken, expiresIn: signIn.expiresIn, returnTo: flow.return_to };
    });
  }

  /** Ends the citizen's session at once (the token is refused from the next request on). */
  async logout(em: EntityManager, actor: CitizenActor, ctx: AuditContext): Promise<void> {
    await em.transactional(async (tx) => {
      await sql(tx, 'UPDATE citizen_session SET ended_at = now() WHERE id = ? AND ended_at IS NULL', [actor.sessionId]);
      await this.app.audit.record(tx, ctx, {
        action: 'citizen.sign_out',
        resourceType: 'citizen_session',
        resourceId: actor.sessionId,
        outcome: 'allowed',
      });
    });
  }

  private async configuration(
    em: EntityManager,
    settings: ProviderSettings,
    ctx: AuditContext,
    log: FastifyBaseLogger,
  ): Promise<client.Configuration> {
    try {
      return await this.clients.configurationFor(settings);
    } catch (e) {
      if (!(e instanceof ProviderUnavailable)) throw e;
      log.warn({ reason: e.reason }, 'citizen OpenID provider unavailable');
      await this.app.audit.record(em, ctx, {
        action: 'citizen.sign_in',
        resourceType: 'citizen_session',
        outcome: 'denied',
        reason: e.reason,
      });
      throw providerUnavailable();
    }
  }
}
