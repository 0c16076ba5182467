// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the types of an untyped package, also for the web app's browser tests that import this file
/// <reference path="./oidc-provider.types.d.ts" />
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * A real OpenID Connect provider (the `oidc-provider` package) on a free port, for tests: an
 * agency's identity provider today, the e-service identity provider for citizens later. It has
 * its own sign-in page (user name and password, each account with its own `acr`), grants consent
 * for its clients by itself, and can be told to hand out one altered (re-signed) ID token, to test
 * what a client does with a token that is wrong in exactly one way.
 */

export interface OidcTestAccount {
  /** What the user types at the provider's sign-in page. */
  login: string;
  password: string;
  /** The `sub` claim. */
  sub: string;
  /** The authentication context the provider reports for this account (`acr`). */
  acr: string;
  /** Further claims (e.g. `email`, `name`) released with the matching scopes. */
  claims?: Record<string, string>;
}

export interface OidcTestClient {
  clientId: string;
  /** None: a public client (PKCE only, `token_endpoint_auth_method: none`). */
  clientSecret?: string;
  redirectUris: string[];
}

export interface OidcTestProviderOptions {
  /** Shown on the sign-in page, e.g. "Polisen". */
  name: string;
  clients: OidcTestClient[];
  accounts: OidcTestAccount[];
  host?: string;
  /**
   * Account claims put in the ID token itself (with scope `openid`), as an e-identification
   * provider does with the personnummer and its transaction reference (`personal_identity_number`,
   * `txn`). Default: none — the ID token carries `sub` and the rest comes from userinfo.
   */
  idTokenClaims?: string[];
}

export type IdTokenClaims = Record<string, unknown>;

export interface OidcTestProvider {
  issuer: string;
  /** The id (`kid`) of this provider's signing key. */
  keyId: string;
  /**
   * The next ID token the token endpoint returns is replaced by `alter(claims)`, signed with this
   * provider's key (or `signedBy`'s, for a token from somebody else; `keyId` names another key in
   * the header, for a forged signature).
   */
  alterNextIdToken(alter: (claims: IdTokenClaims) => IdTokenClaims, options?: { signedBy?: OidcTestProvider; keyId?: string }): void;
  /** A JWS (RS256) over `claims` with this provider's signing key, naming `keyId` (default: its own). */
  signJwt(claims: IdTokenClaims, keyId?: string): string;
  close(): Promise<void>;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const fromB64 = (part: string): IdTokenClaims => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as IdTokenClaims;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function loginPage(name: string, uid: string, error: string | null): string {
  return `<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Logga in – ${escapeHtml(name)}</title></head>
<body><main>
<h1>${escapeHtml(name)}: logga in</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}">
<p><label for="login">Användarnamn</label> <input id="login" name="login" autocomplete="username" required></p>
<p><label for="password">Lösenord</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Logga in</button></p>
</form>
</main></body></html>`;
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startOidcProvider(options: OidcTestProviderOptions): Promise<OidcTestProvider> {
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const accounts = new Map(options.accounts.map((a) => [a.sub, a]));

  // `conformIdTokenClaims: false` (not in the package's types) lets scope claims into the ID token.
  const idTokenClaims = options.idTokenClaims ?? [];
  const configuration: Configuration & { conformIdTokenClaims?: boolean } = {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      ...(c.clientSecret ? { client_secret: c.clientSecret } : {}),
      token_endpoint_auth_method: c.clientSecret ? 'client_secret_basic' : 'none',
      redirect_uris: c.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    acrValues: [...new Set(options.accounts.map((a) => a.acr))],
    claims: { openid: ['sub', ...idTokenClaims], email: ['email'], profile: ['name'] },
    ...(idTokenClaims.length > 0 ? { conformIdTokenClaims: false } : {}),
    features: { devInteractions: { enabled: false } },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    findAccount: (_ctx: KoaContextWithOIDC, sub: string) => {
      const account = accounts.get(sub);
      return account ? { accountId: sub, claims: () => ({ sub, ...account.claims }) } : undefined;
    },
    // Every client here is first party: consent is granted without asking.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(oidc.client!.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);

  const signWith = (key: KeyObject, keyId: string, claims: IdTokenClaims): string => {
    const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: keyId })}.${b64(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  };
  let pending: { alter: (claims: IdTokenClaims) => IdTokenClaims; signer: (claims: IdTokenClaims) => string } | null = null;

  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: unknown } | undefined;
    if (pending && ctx.path === '/token' && body && typeof body.id_token === 'string') {
      const { alter, signer } = pending;
      pending = null;
      body.id_token = signer(alter(fromB64(body.id_token.split('.')[1]!)));
    }
  });

  const callback = provider.callback();
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const match = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (!match) {
      void callback(req, res);
      return;
    }
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (details.uid !== match[1] || details.prompt.name !== 'login') throw new Error('unexpected interaction');
        let error: string | null = null;
        if (req.method === 'POST') {
          const form = await readForm(req);
          const account = options.accounts.find((a) => a.login === form.get('login') && a.password === form.get('password'));
          if (account) {
            await provider.interactionFinished(req, res, { login: { accountId: account.sub, acr: account.acr, amr: ['pwd'] } });
            return;
          }
          error = 'Fel användarnamn eller lösenord.';
        }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(loginPage(options.name, details.uid, error));
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('Bad interaction');
      }
    })();
  });

  const self: OidcTestProvider = {
    issuer,
    keyId: kid,
    signJwt: (claims, keyId = kid) => signWith(privateKey, keyId, claims),
    alterNextIdToken(alter, options = {}) {
      pending = { alter, signer: (claims) => (options.signedBy ?? self).signJwt(claims, options.keyId) };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return self;
}

/**
 * Goes through the provider's sign-in like a browser (following redirects, keeping cookies,
 * posting the sign-in form) and returns the URL it finally sends the browser to: the client's
 * redirect URI with the authorization response.
 */
export async function signInAtProvider(authorizationUrl: string, login: string, password: string): Promise<URL> {
  const jar = new Map<string, string>();
  const cookieHeader = (): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let url = new URL(authorizationUrl);
  const origin = url.origin;
  let body: URLSearchParams | undefined;
  for (let hops = 0; hops < 20; hops += 1) {
    const res = await fetch(url, {
      method: body ? 'POST' : 'GET',
      headers: { cookie: cookieHeader(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: body?.toString(),
      redirect: 'manual',
    });
    body = undefined;
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url);
      if (url.origin !== origin) return url;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200 || !url.pathname.startsWith('/interaction/'))
      throw new Error(`provider answered ${res.status} at ${url.pathname}`);
    if (html.includes('role="alert"')) throw new Error('the provider refused the sign-in');
    body = new URLSearchParams({ login, password });
  }
  throw new Error('too many redirects at the provider');
}
