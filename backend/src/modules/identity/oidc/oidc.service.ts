import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import * as client from 'openid-client';
import { sql, transaction } from '../../../db/sql.js';
import type { HttpProblem } from '../../../lib/problem.js';
import type { AuditContext } from '../../../plugins/app/audit.js';
import { User } from '../identity.entities.js';
import type { SessionGrant } from '../identity.service.js';
import { OidcClients, type ProviderSettings, ProviderUnavailable } from './oidc.clients.js';
import {
  acrTooLow,
  noAccount,
  providerNotFound,
  providerRefused,
  providerUnavailable,
  responseInvalid,
  signInExpired,
} from './oidc.problems.js';

/** How long a started sign-in may take at the provider before its `state` is refused. */
const FLOW_TTL_SECONDS = 600;

/** Where the provider sends the browser back: a page of the web app, which calls the callback below. */
export const REDIRECT_PATH = '/login/oidc/callback';

export interface ProviderList {
  providers: { agencyId: string; name: string }[];
  localSignIn: boolean;
}

export interface CallbackParams {
  state: string;
  code?: string | undefined;
  iss?: string | undefined;
  error?: string | undefined;
  error_description?: string | undefined;
}

interface ProviderRow {
  agency_id: string;
  issuer: string;
  client_id: string;
  client_secret_ref: string | null;
  scopes: string[];
  subject_claim: string;
  acr_values: string[];
  updated_at: string;
}

interface AccountRow {
  id: string;
  agency_id: string;
  active: boolean;
}

const PROVIDER_SQL = `SELECT p.agency_id, p.issuer, p.client_id, p.client_secret_ref, p.scopes, p.subject_claim, p.acr_values, p.updated_at::text AS updated_at
  FROM agency_idp p JOIN agency a ON a.id = p.agency_id WHERE p.agency_id = ? AND a.active`;

const stateHash = (state: string): string => createHash('sha256').update(state).digest('base64url');

const settingsOf = (r: ProviderRow): ProviderSettings => ({
  agencyId: r.agency_id,
  issuer: r.issuer,
  clientId: r.client_id,
  clientSecretRef: r.client_secret_ref,
  scopes: r.scopes,
  subjectClaim: r.subject_claim,
  acrValues: r.acr_values,
  updatedAt: r.updated_at,
});

/**
 * Sign-in through an agency's own OpenID Connect provider: the authorization code flow with PKCE,
 * `state` and `nonce` (kept server-side, single use), checked by openid-client. Only an existing,
 * active account of that agency with that provider subject is signed in; roles come from
 * Samverka. The session is the same server-side session as a local sign-in.
 */
export class OidcSignIn {
  private readonly clients: OidcClients;
  private readonly redirectUri: string;

  constructor(private readonly app: FastifyInstance) {
    this.clients = new OidcClients(app.config.KEYS_DIR, app.config.NODE_ENV !== 'production');
    this.redirectUri = `${app.config.ORIGIN}${REDIRECT_PATH}`;
  }

  async providers(em: EntityManager): Promise<ProviderList> {
    const providers = await sql<{ agencyId: string; name: string }>(
      em,
      `SELECT a.id AS "agencyId", a.name FROM agency_idp p JOIN agency a ON a.id = p.agency_id WHERE a.active ORDER BY a.name`,
    );
    const [local] = await sql<{ any: boolean }>(em, 'SELECT EXISTS (SELECT 1 FROM agency WHERE active AND local_sign_in) AS any');
    return { providers, localSignIn: local?.any ?? false };
  }

  /** The provider's authorization URL for a new flow of this agency. */
  async start(em: EntityManager, agencyId: string, ctx: AuditContext, log: FastifyBaseLogger): Promise<string> {
    const [row] = await sql<ProviderRow>(em, PROVIDER_SQL, [agencyId]);
    const audit = { action: 'auth.oidc.start', resourceType: 'agency', resourceId: agencyId } as const;
    if (!row) {
      await this.app.audit.record(em, ctx, { ...audit, outcome: 'denied', reason: 'unknown_provider' });
      throw providerNotFound();
    }
    const settings = settingsOf(row);
    const config = await this.configuration(em, settings, ctx, audit, log);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const params: Record<string, string> = {
      redirect_uri: this.redirectUri,
      scope: settings.scopes.includes('openid') ? settings.scopes.join(' ') : ['openid', ...settings.scopes].join(' '),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    // Asks for the strong authentication up front; the answer's `acr` is still checked.
    if (settings.acrValues.length > 0) params.acr_values = settings.acrValues.join(' ');
    const url = client.buildAuthorizationUrl(config, params);
    await em.transactional(async (tx) => {
      await sql(tx, 'DELETE FROM oidc_flow WHERE expires_at < now()');
      await sql(
        tx,
        `INSERT INTO oidc_flow (state_hash, agency_id, nonce, code_verifier, expires_at)
         VALUES (?, ?, ?, ?, now() + make_interval(secs => ?))`,
        [stateHash(state), agencyId, nonce, codeVerifier, FLOW_TTL_SECONDS],
      );
      await this.app.audit.record(tx, ctx, { ...audit, outcome: 'allowed' });
    });
    return url.href;
  }

  /** Finishes a flow: consumes its `state`, redeems the code, checks the ID token, starts the session. */
  async callback(em: EntityManager, params: CallbackParams, ctx: AuditContext, log: FastifyBaseLogger): Promise<SessionGrant> {
    const audit = { action: 'auth.login', resourceType: 'session' } as const;
    const deny = async (reason: string, problem: HttpProblem, who: Partial<AuditContext> = {}): Promise<never> => {
      await this.app.audit.record(em, { ...ctx, ...who }, { ...audit, outcome: 'denied', reason: `oidc_${reason}` });
      throw problem;
    };

    // Deleted whatever happens next: a state is good for one callback only.
    const [flow] = await sql<{ agency_id: string; nonce: string; code_verifier: string; live: boolean }>(
      em,
      'DELETE FROM oidc_flow WHERE state_hash = ? RETURNING agency_id, nonce, code_verifier, expires_at > now() AS live',
      [stateHash(params.state)],
    );
    if (!flow?.live) {
      return deny('unknown_state', signInExpired());
    }
    const [row] = await sql<ProviderRow>(em, PROVIDER_SQL, [flow.agency_id]);
    if (!row) return deny('unknown_provider', providerNotFound());
    const settings = settingsOf(row);
    const config = await this.configuration(em, settings, ctx, audit, log);

    const currentUrl = new URL(this.redirectUri);
    for (const [k, v] of Object.entries(params)) if (typeof v === 'string') currentUrl.searchParams.set(k, v);
    let claims: client.IDToken | undefined;
    let accessToken: string;
    try {
      const tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: flow.code_verifier,
        expectedState: params.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
      accessToken = tokens.access_token;
    } catch (e) {
      if (e instanceof client.AuthorizationResponseError) {
        return deny('provider_refused', providerRefused());
      }
      if (e instanceof client.ResponseBodyError || e instanceof client.ClientError) {
        const code = e instanceof client.ClientError && e.code ? e.code.toLowerCase() : 'token_error';
        log.warn({ reason: code, agencyId: settings.agencyId }, 'OpenID callback refused');
        return deny(code, responseInvalid());
      }
      log.warn({ agencyId: settings.agencyId, error: e instanceof Error ? e.name : typeof e }, 'OpenID provider unreachable');
      return deny('provider_unavailable', providerUnavailable());
    }
    if (!claims) return deny('id_token_missing', responseInvalid());

    const subject = await this.subjectOf(config, settings.subjectClaim, claims, accessToken);
    if (subject === null) return deny('subject_missing', responseInvalid());
    const [account] = await sql<AccountRow>(
      em,
      `SELECT u.id, u.agency_id, u.active AND a.active AS active
       FROM app_user u JOIN agency a ON a.id = u.agency_id WHERE u.agency_id = ? AND u.oidc_subject = ?`,
      [settings.agencyId, subject],
    );
    const who = account ? { actorId: account.id, actorAgencyId: account.agency_id } : { actorAgencyId: settings.agencyId };
    // Checked before the account, so that a weak sign-in does not learn whether an account exists.
    const acr = typeof claims.acr === 'string' ? claims.acr : null;
    if (settings.acrValues.length > 0 && (acr === null || !settings.acrValues.includes(acr))) {
      return deny('acr_too_low', acrTooLow(), who);
    }
    if (!account?.active) {
      return deny(account ? 'account_inactive' : 'unknown_subject', noAccount(), who);
    }
    const user = await em.findOneOrFail(User, { id: account.id });
    // The same server-side session a local sign-in opens (revocable, idle and maximum lifetimes),
    // without the local second factor: the provider's `acr` is the strong authentication.
    return transaction(em, (tx) => this.app.identity.openSession(tx, user, ctx, 'oidc'));
  }

  /** The account's identifier: from the ID token, or from the userinfo endpoint when the token does not carry it. */
  private async subjectOf(
    config: client.Configuration,
    claim: string,
    idToken: client.IDToken,
    accessToken: string,
  ): Promise<string | null> {
    let value = idToken[claim];
    if (value === undefined && claim !== 'sub') {
      try {
        value = (await client.fetchUserInfo(config, accessToken, idToken.sub))[claim];
      } catch {
        return null;
      }
    }
    return typeof value === 'string' && value.length > 0 && value.length <= 255 ? value : null;
  }

  private async configuration(
    em: EntityManager,
    settings: ProviderSettings,
    ctx: AuditContext,
    audit: { action: string; resourceType: string; resourceId?: string },
    log: FastifyBaseLogger,
  ): Promise<client.Configuration> {
    try {
      return await this.clients.configurationFor(settings);
    } catch (e) {
      if (!(e instanceof ProviderUnavailable)) throw e;
      log.warn({ reason: e.reason, agencyId: settings.agencyId }, 'OpenID provider unavailable');
      await this.app.audit.record(em, ctx, { ...audit, outcome: 'denied', reason: `oidc_${e.reason}` });
      throw providerUnavailable();
    }
  }
}
