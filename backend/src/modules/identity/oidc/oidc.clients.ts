import fs from 'node:fs';
import path from 'node:path';
import * as client from 'openid-client';

/** An agency's provider as configured in `agency_idp`. */
export interface ProviderSettings {
  agencyId: string;
  issuer: string;
  clientId: string;
  /** `env:NAME` or `file:name` (in KEYS_DIR); null for a public client (PKCE only). */
  clientSecretRef: string | null;
  scopes: string[];
  subjectClaim: string;
  acrValues: string[];
  /** When the settings last changed: a changed row is discovered afresh. */
  updatedAt: string;
}

/** The provider cannot be used right now; `reason` is a code for the audit log and the server log. */
export class ProviderUnavailable extends Error {
  constructor(readonly reason: 'secret_missing' | 'insecure_issuer' | 'discovery_failed') {
    super(`OpenID provider unavailable: ${reason}`);
    this.name = 'ProviderUnavailable';
  }
}

/** How long a provider's discovered metadata is reused before it is fetched again. */
const METADATA_TTL_MS = 10 * 60_000;
const REQUEST_TIMEOUT_SECONDS = 10;

interface Cached {
  key: string;
  config: client.Configuration;
  until: number;
}

/**
 * openid-client configurations per agency, from the provider's discovery document. The client
 * secret is read when the configuration is built, never stored in the database. Plain-http issuers
 * are accepted only outside production (the test suite's provider).
 */
export class OidcClients {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly keysDir: string,
    private readonly allowHttp: boolean,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async configurationFor(p: ProviderSettings): Promise<client.Configuration> {
    const key = `${p.issuer}\n${p.clientId}\n${p.clientSecretRef ?? ''}\n${p.updatedAt}`;
    const hit = this.cache.get(p.agencyId);
    if (hit && hit.key === key && hit.until > Date.now()) return hit.config;

    const issuer = new URL(p.issuer);
    const insecure = issuer.protocol === 'http:';
    if (insecure && !this.allowHttp) throw new ProviderUnavailable('insecure_issuer');
    const secret = this.secretOf(p.clientSecretRef);
    let config: client.Configuration;
    try {
      config = await client.discovery(issuer, p.clientId, undefined, secret === null ? client.None() : client.ClientSecretBasic(secret), {
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout: REQUEST_TIMEOUT_SECONDS,
      });
    } catch {
      throw new ProviderUnavailable('discovery_failed');
    }
    // The ID token's signature is checked against the provider's published keys too, not only
    // trusted because it came over the provider's TLS connection.
    client.enableNonRepudiationChecks(config);
    this.cache.set(p.agencyId, { key, config, until: Date.now() + METADATA_TTL_MS });
    return config;
  }

  private secretOf(ref: string | null): string | null {
    if (ref === null) return null;
    const [kind, name] = [ref.slice(0, ref.indexOf(':')), ref.slice(ref.indexOf(':') + 1)];
    let value: string | undefined;
    if (kind === 'env') value = this.env[name];
    else if (kind === 'file') {
      try {
        value = fs.readFileSync(path.join(this.keysDir, path.basename(name)), 'utf8');
      } catch {
        value = undefined;
      }
    }
    const secret = value?.trim();
    if (!secret) throw new ProviderUnavailable('secret_missing');
    return secret;
  }
}
