// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the types of an untyped package, shared with the test provider
/// <reference path="../test/helpers/oidc-provider.types.d.ts" />
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * A DEMO e-identification for `npm start` (scripts/start.mjs starts it when DEMO is on and no
 * CITIZEN_OIDC_ISSUER is set): a real OpenID provider (the `oidc-provider` package) on this
 * machine whose sign-in page lets anyone be one of a few made-up people. It vouches for their
 * personnummer the way a Swedish eID provider does (`personal_identity_number`, `txn`, loa3), so
 * the citizen pages can be tried without a real e-legitimation. Never for real use: the page says
 * so, and nothing is checked but a click.
 *
 * Run: `tsx scripts/demo-eid.ts` with DEMO_EID_REDIRECT_URI (the web app's
 * `<ORIGIN>/citizen/login/callback`), optional DEMO_EID_HOST / DEMO_EID_PORT (0: a free port).
 * When it listens it prints one JSON line: `{ "issuer", "clientId", "people" }`.
 */

export interface DemoCitizen {
  /** 12 digits. Skatteverket's test series (birth numbers 980–999), Luhn-valid, never a real person. */
  personalIdentityNumber: string;
  givenName: string;
  familyName: string;
  /** What the person is in the demo story, for the start banner and the sign-in page. */
  role: string;
}

export const DEMO_CITIZENS: readonly DemoCitizen[] = [
  { personalIdentityNumber: '198503129820', givenName: 'Maja', familyName: 'Demosson', role: 'vårdnadshavare / guardian' },
  { personalIdentityNumber: '198307219819', givenName: 'Erik', familyName: 'Demosson', role: 'vårdnadshavare / guardian' },
  { personalIdentityNumber: '201009149830', givenName: 'Leo', familyName: 'Demosson', role: 'ungdom, 16 år / young person, 16' },
];

export const DEMO_EID_CLIENT_ID = 'samverka-citizen-demo';
/** The assurance level the API asks for by default (CITIZEN_OIDC_ACR). */
const LOA3 = 'http://id.elegnamnden.se/loa/1.0/loa3';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const dashed = (pin: string): string => `${pin.slice(0, 8)}-${pin.slice(8)}`;

function signInPage(uid: string, error: boolean): string {
  const people = DEMO_CITIZENS.map(
    (p, i) => `<div class="person">
<input type="radio" name="pin" id="p${i}" value="${p.personalIdentityNumber}"${i === 0 ? ' required' : ''}>
<label for="p${i}">${escapeHtml(`${p.givenName} ${p.familyName}`)}, ${dashed(p.personalIdentityNumber)} <span>(${escapeHtml(p.role)})</span></label>
</div>`,
  ).join('\n');
  return `<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>DEMO e-legitimation – Samverka</title>
<style>
body{font:1.1rem/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
.demo{border:3px solid #8a4b00;background:#fff4e0;padding:1rem;border-radius:.5rem}
.person{margin:.5rem 0}.person span{color:#444}
button{font:inherit;padding:.5rem 1.25rem;background:#0b4f8a;color:#fff;border:0;border-radius:.3rem}
button:focus-visible,input:focus-visible{outline:3px solid #8a4b00;outline-offset:2px}
[role=alert]{color:#a00000;font-weight:bold}
</style></head>
<body><main>
<h1>DEMO e-legitimation</h1>
<div class="demo">
<p><strong>Det här är en demo, inte en riktig e-legitimation.</strong> Personerna nedan är påhittade
(Skatteverkets testpersonnummer). Välj vem du vill vara i demon.</p>
<p lang="en"><strong>This is a demo, not a real e-identification.</strong> The people below are made up
(Swedish test personal identity numbers). Choose who you want to be in the demo.</p>
</div>
${error ? '<p role="alert">Välj en person i listan. / Choose a person in the list.</p>' : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}">
<fieldset><legend>Logga in som / Sign in as</legend>
${people}
</fieldset>
<p><button type="submit">Logga in (demo) / Sign in (demo)</button></p>
</form>
</main></body></html>`;
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export interface DemoEid {
  issuer: string;
  close(): Promise<void>;
}

export async function startDemoEid(options: { redirectUri: string; host?: string; port?: number; publicHost?: string }): Promise<DemoEid> {
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const issuer = `http://${options.publicHost ?? host}:${(server.address() as AddressInfo).port}`;

  // A new key on every start: the demo's tokens are worthless after a restart, as they should be.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
  const people = new Map(DEMO_CITIZENS.map((p) => [p.personalIdentityNumber, p]));

  const configuration: Configuration & { conformIdTokenClaims: boolean } = {
    clients: [
      {
        client_id: DEMO_EID_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        redirect_uris: [options.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    acrValues: [LOA3],
    // As Swedish eID providers do: the personnummer and a transaction reference in the ID token itself.
    claims: { openid: ['sub', 'personal_identity_number', 'txn'], profile: ['name', 'given_name', 'family_name'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 300, IdToken: 300 },
    findAccount: (_ctx: KoaContextWithOIDC, sub: string) => {
      const p = people.get(sub);
      return p
        ? {
            accountId: sub,
            claims: () => ({
              sub,
              personal_identity_number: p.personalIdentityNumber,
              txn: randomUUID(),
              name: `${p.givenName} ${p.familyName}`,
              given_name: p.givenName,
              family_name: p.familyName,
            }),
          }
        : undefined;
    },
    // The only client is the demo's own web app: consent is granted without asking.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(oidc.client!.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  server.on('request', (req, res) => {
    const match = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(new URL(req.url ?? '/', issuer).pathname);
    if (!match) {
      void callback(req, res);
      return;
    }
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (details.uid !== match[1] || details.prompt.name !== 'login') throw new Error('unexpected interaction');
        if (req.method === 'POST') {
          const chosen = people.get((await readForm(req)).get('pin') ?? '');
          if (chosen) {
            const login = { accountId: chosen.personalIdentityNumber, acr: LOA3, amr: ['demo'] };
            await provider.interactionFinished(req, res, { login });
            return;
          }
        }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(signInPage(details.uid, req.method === 'POST'));
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('This demo sign-in has expired. Go back to Samverka and start again.');
      }
    })();
  });

  return {
    issuer,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const redirectUri = process.env.DEMO_EID_REDIRECT_URI;
  if (!redirectUri) {
    console.error("DEMO_EID_REDIRECT_URI is required (the web app's <ORIGIN>/citizen/login/callback).");
    process.exit(1);
  }
  const host = process.env.DEMO_EID_HOST ?? '127.0.0.1';
  const eid = await startDemoEid({
    redirectUri,
    host,
    port: Number(process.env.DEMO_EID_PORT ?? 0),
    publicHost: host === '0.0.0.0' ? 'localhost' : host,
  });
  const stop = () => void eid.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(
    JSON.stringify({
      issuer: eid.issuer,
      clientId: DEMO_EID_CLIENT_ID,
      people: DEMO_CITIZENS.map((p) => ({ pin: dashed(p.personalIdentityNumber), name: `${p.givenName} ${p.familyName}`, role: p.role })),
    }),
  );
}
