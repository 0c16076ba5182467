import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CITIZENS, DEMO_EID_CLIENT_ID, startDemoEid, type DemoEid } from '../../scripts/demo-eid.js';
import { parsePersonalIdentityNumber } from '../../src/lib/personnummer.js';
import { bearer, createTestApp, type TestContext } from '../helpers/app.js';

/**
 * The demo e-identification `npm start` runs (backend/scripts/demo-eid.ts) against the API's real
 * citizen sign-in: its page says it is a demo, its people are made up, and the API accepts what it
 * vouches for exactly as it would a real provider's assertion.
 */

const CALLBACK = 'http://127.0.0.1:5173/citizen/login/callback';

/** A browser at the provider: follows redirects with cookies, shows the page, posts the form. */
async function atProvider(authorizationUrl: string, pin: string): Promise<{ page: string; back: URL | null; refusal: string | null }> {
  const jar = new Map<string, string>();
  let url = new URL(authorizationUrl);
  let body: string | undefined;
  let page = '';
  for (let hops = 0; hops < 12; hops += 1) {
    const res = await fetch(url, {
      method: body ? 'POST' : 'GET',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body,
      redirect: 'manual',
    });
    const posted = body !== undefined;
    body = undefined;
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      jar.set(pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1));
    }
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url);
      if (url.href.startsWith(CALLBACK)) return { page, back: url, refusal: null };
      continue;
    }
    const html = await res.text();
    if (posted) return { page, back: null, refusal: html };
    page = html;
    body = new URLSearchParams({ pin }).toString();
  }
  throw new Error('too many redirects at the demo provider');
}

describe('the demo e-identification of npm start', () => {
  let eid: DemoEid;
  let t: TestContext;

  beforeAll(async () => {
    eid = await startDemoEid({ redirectUri: CALLBACK });
    t = await createTestApp({ CITIZEN_OIDC_ISSUER: eid.issuer, CITIZEN_OIDC_CLIENT_ID: DEMO_EID_CLIENT_ID });
  });
  afterAll(async () => {
    await eid?.close();
    await t?.close();
  });

  const start = async (): Promise<string> => {
    const res = await t.app.inject({ url: '/api/citizen/auth/start?returnTo=/citizen' });
    expect(res.statusCode, res.body).toBe(302);
    return String(res.headers.location);
  };

  it('offers only made-up people: valid personnummer from the test series (birth numbers 980–999)', () => {
    expect(DEMO_CITIZENS.length).toBeGreaterThanOrEqual(2);
    for (const p of DEMO_CITIZENS) {
      expect(parsePersonalIdentityNumber(p.personalIdentityNumber)?.normalized).toBe(p.personalIdentityNumber);
      expect(Number(p.personalIdentityNumber.slice(8, 11))).toBeGreaterThanOrEqual(980);
    }
  });

  it('says on its page that it is a demo, and the API signs the chosen person in with their personnummer', async () => {
    const maja = DEMO_CITIZENS[0]!;
    const { page, back } = await atProvider(await start(), maja.personalIdentityNumber);
    expect(page).toContain('Det här är en demo, inte en riktig e-legitimation.');
    expect(page).toContain('This is a demo, not a real e-identification.');
    for (const p of DEMO_CITIZENS) expect(page).toContain(`${p.personalIdentityNumber.slice(0, 8)}-${p.personalIdentityNumber.slice(8)}`);
    expect(back).not.toBeNull();

    const callback = await t.app.inject({ url: `/api/citizen/auth/callback?${back!.searchParams.toString()}` });
    expect(callback.statusCode, callback.body).toBe(200);
    const me = await t.app.inject({ url: '/api/citizen/me', headers: bearer(callback.json().accessToken) });
    expect(me.statusCode, me.body).toBe(200);
    const session = (
      await t.sql.query('SELECT personal_identity_number, acr, transaction_ref FROM citizen_session ORDER BY authenticated_at DESC LIMIT 1')
    ).rows[0];
    expect(session).toEqual({
      personal_identity_number: maja.personalIdentityNumber,
      acr: 'http://id.elegnamnden.se/loa/1.0/loa3',
      // The provider's own transaction reference (`txn`), not the API's fallback.
      transaction_ref: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    });
  });

  it('refuses a personnummer that is not one of its people, and sends nobody back', async () => {
    const { back, refusal } = await atProvider(await start(), '198211059954');
    expect(back).toBeNull();
    expect(refusal).toContain('role="alert"');
  });
});
