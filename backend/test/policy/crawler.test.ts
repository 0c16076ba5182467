import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { pdfText } from '../helpers/pdf-text.js';
import { agencies, birthDateFor, consentBody, openCase, recordConsent, type Agencies, type TestCase } from '../consents/fixtures.js';
import { PDF, pdf, upload } from '../documents/fixtures.js';

/**
 * The proof of the one door: distinctive text in every field of a case, then EVERY GET route of
 * the OpenAPI document (and the search) called as a partner under consents of growing scope. No
 * text of a category the consent does not name, no owner-only detail and no agency the consent
 * does not name together with the partner may appear in any answer. Routes added later are
 * crawled without editing this test.
 */

const ALL = ['identity', 'school', 'social', 'police', 'leisure', 'health', 'plan'] as const;

/** Distinctive text per category; `owner` is what never leaves the owning unit. */
const MARK = {
  social: ['ZQSOCIALREASON', 'ZQSOCIALOUTCOME', 'ZQSOCIALENTRY'],
  health: ['ZQHEALTHENTRY', 'ZQHEALTHDOCTITLE', 'ZQHEALTHDOCBYTES'],
  plan: ['ZQPLANGOAL', 'ZQPLANACTION', 'ZQPLANFOLLOWUP', 'ZQPLANAGENDA', 'ZQPLANMINUTES', 'ZQPLANPERSON', 'ZQPLANDECISION'],
  police: ['ZQPOLICEENTRY', 'ZQPOLICECONTACT'],
  leisure: ['ZQLEISUREENTRY', 'ZQLEISURECONTACT'],
  owner: ['ZQOWNERADDRESS', 'zqowner@example.se', 'ZQGUARDIANADDRESS'],
} as const;

interface Operation {
  path: string;
  params: string[];
  query: Record<string, string>;
}

describe('field-level leak crawler over every GET route', () => {
  let t: TestContext;
  let social: string;
  let school: string;
  let police: string;
  let leisure: string;
  let a: Agencies;
  let open: TestCase;
  let closed: TestCase;
  let hidden: TestCase;
  let consentId = '';
  let operations: Operation[] = [];

  const call = (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const ok = async (p: Promise<{ statusCode: number; body: string }>, status = 201): Promise<void> => {
    const res = await p;
    if (res.statusCode !== status) throw new Error(`${res.statusCode} ${res.body}`);
  };

  /** Writes distinctive text into every field of a case the owner and its partners fill in. */
  async function fill(c: TestCase, close: boolean): Promise<void> {
    await ok(call(social, 'PATCH', `/api/cases/${c.id}`, { reason: `${MARK.social[0]} oro för skolgången` }), 200);
    for (const [category, text] of [
      ['social', MARK.social[2]],
      ['health', MARK.health[0]],
      ['identity', 'Identitetsanteckning'],
    ] as const) {
      await ok(call(social, 'POST', `/api/cases/${c.id}/entries`, { category, text }));
    }
    const doc = await upload(
      t.app,
      social,
      c.id,
      { category: 'health', title: MARK.health[1] },
      pdf(Buffer.concat([PDF, Buffer.from(`% ${MARK.health[2]}\n`)])),
    );
    expect(doc.statusCode).toBe(201);
    const item = await call(social, 'POST', `/api/cases/${c.id}/plan-items`, {
      lifeArea: 'school',
      goal: MARK.plan[0],
      action: MARK.plan[1],
      responsibleAgencyId: a.police,
    });
    expect(item.statusCode).toBe(201);
    await ok(
      call(social, 'PATCH', `/api/cases/${c.id}/plan-items/${item.json().id}`, { followUp: MARK.plan[2], goal: `${MARK.plan[0]} ändrat` }),
      200,
    );
    await ok(
      call(social, 'POST', `/api/cases/${c.id}/meetings`, {
        date: '2026-11-20',
        agencyIds: [a.school, a.police, a.leisure],
        people: [MARK.plan[5]],
        agenda: MARK.plan[3],
        minutes: MARK.plan[4],
        decisions: [{ text: MARK.plan[6] }],
      }),
    );
    // The police and leisure write under consents of their own, which do not name the school.
    await recordConsent(t.app, social, c.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.police],
      categories: ['identity', 'police'],
    });
    await recordConsent(t.app, social, c.id, {
      givenBy: { kind: 'subject' },
      agencyIds: [a.social, a.leisure],
      categories: ['identity', 'leisure'],
    });
    await ok(call(police, 'POST', `/api/cases/${c.id}/entries`, { category: 'police', text: MARK.police[0] }));
    await ok(call(leisure, 'POST', `/api/cases/${c.id}/entries`, { category: 'leisure', text: MARK.leisure[0] }));
    // The network: the owner names the police's contact, the leisure agency its own.
    await ok(call(social, 'PATCH', `/api/cases/${c.id}/network/${a.police}`, { contactName: MARK.police[1] }), 200);
    await ok(call(leisure, 'PATCH', `/api/cases/${c.id}/network/${a.leisure}`, { contactName: MARK.leisure[1] }), 200);
    if (close) await ok(call(social, 'POST', `/api/cases/${c.id}/close`, { outcome: `${MARK.social[1]} avslutat` }), 200);
  }

  beforeAll(async () => {
    t = await createTestApp();
    [social, school, police, leisure] = (await Promise.all(['social', 'school', 'police', 'leisure'].map((u) => login(t.app, u)))) as [
      string,
      string,
      string,
      string,
    ];
    a = await agencies(t);
    const subject = (serial: string, protectedIdentity = 'none') => ({
      agencyIds: [a.school, a.police, a.leisure],
      serial,
      subject: { firstName: 'Crawler', lastName: `Crawlersson${serial}`, protectedIdentity, address: MARK.owner[0], email: MARK.owner[1] },
    });
    open = await openCase(t.app, social, birthDateFor(25, 10), subject('811'));
    closed = await openCase(t.app, social, birthDateFor(25, 20), subject('822'));
    hidden = await openCase(t.app, social, birthDateFor(25, 30), { ...subject('833', 'skyddad_folkbokforing') });
    await ok(call(social, 'PATCH', `/api/cases/${hidden.id}`, { area: 'Hulta' }), 200);
    await fill(open, false);
    await fill(closed, true);
    await fill(hidden, false);

    const doc = (await t.app.inject({ url: '/api/docs/json' })).json() as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema?: { maximum?: number } }[] }>>;
    };
    operations = Object.entries(doc.paths)
      .filter(([, ops]) => ops.get)
      .map(([path, ops]) => {
        const parameters = ops.get!.parameters ?? [];
        const query: Record<string, string> = {};
        for (const p of parameters) if (p.in === 'query' && p.name === 'pageSize') query.pageSize = String(p.schema?.maximum ?? 100);
        return { path, params: parameters.filter((p) => p.in === 'path').map((p) => p.name), query };
      });
    expect(operations.length).toBeGreaterThan(15);
  });
  afterAll(async () => t.close());

  /** Every GET route for one case, its subject and its consents, and the search; the answers' bodies. */
  async function crawl(c: TestCase): Promise<{ url: string; status: number; body: string }[]> {
    const { rows } = await t.sql.query<{ id: string }>('SELECT id FROM consent WHERE case_id = $1', [c.id]);
    const { rows: documents } = await t.sql.query<{ id: string }>('SELECT id FROM document WHERE case_id = $1', [c.id]);
    const { rows: planItems } = await t.sql.query<{ id: string }>('SELECT id FROM plan_item WHERE case_id = $1', [c.id]);
    const seen: { url: string; status: number; body: string }[] = [];
    for (const op of operations) {
      const fills = op.path.startsWith('/api/consents/')
        ? rows.map((r) => r.id)
        : op.path.startsWith('/api/documents/')
          ? documents.map((r) => r.id)
          : op.path.includes('{itemId}')
            ? planItems.map((r) => r.id)
            : [op.path.includes('/subjects/') ? c.subjectId : c.id];
      for (const id of fills) {
        const path = op.path.includes('{itemId}')
          ? op.path.replace('{id}', c.id).replace('{itemId}', id)
          : op.path.replace(/\{[^}]+\}/g, id);
        const qs = new URLSearchParams(op.query).toString();
        const url = qs ? `${path}?${qs}` : path;
        const res = await call(school, 'GET', url);
        expect(res.statusCode, url).toBeLessThan(500);
        // A printout's text is in deflated streams: search what it shows, beside its bytes.
        const isPdf = String(res.headers['content-type']).startsWith('application/pdf');
        seen.push({ url, status: res.statusCode, body: isPdf ? `${res.body}\n${pdfText(res.rawPayload)}` : res.body });
      }
    }
    for (const body of [{ q: 'Crawlersson' }, { q: 'Crawler', pageSize: 100 }, {}]) {
      const res = await call(school, 'POST', '/api/cases/search', body);
      expect(res.statusCode).toBeLessThan(500);
      seen.push({ url: 'POST /api/cases/search', status: res.statusCode, body: res.body });
    }
    return seen;
  }

  async function consentForSchool(categories: readonly string[], agencyIds: string[]): Promise<void> {
    for (const c of [open, closed, hidden]) {
      if (c === closed) await ok(call(social, 'POST', `/api/cases/${c.id}/reopen`, { reason: 'Nytt samtycke' }), 200);
      const { rows } = await t.sql.query<{ id: string }>(
        'SELECT id FROM consent WHERE case_id = $1 AND withdrawn_at IS NULL AND $2 = ANY(agency_ids)',
        [c.id, a.school],
      );
      for (const r of rows) await ok(call(social, 'POST', `/api/consents/${r.id}/withdraw`, { reason: 'Ny omfattning' }), 200);
      const res = await call(
        social,
        'POST',
        `/api/cases/${c.id}/consents`,
        consentBody({ givenBy: { kind: 'subject' }, agencyIds, categories: [...categories] }),
      );
      expect(res.statusCode, res.body).toBe(201);
      consentId = res.json().id;
      if (c === closed) await ok(call(social, 'POST', `/api/cases/${c.id}/close`, { outcome: `${MARK.social[1]} avslutat` }), 200);
    }
  }

  const scopes: { name: string; categories: readonly string[]; namesPolice: boolean }[] = [
    { name: 'identity only', categories: ['identity'], namesPolice: false },
    { name: 'identity + plan', categories: ['identity', 'plan'], namesPolice: false },
    { name: 'identity + social', categories: ['identity', 'social'], namesPolice: false },
    { name: 'every category, the school and the owner named', categories: ALL, namesPolice: false },
    { name: 'every category, the police named too', categories: ALL, namesPolice: true },
  ];

  it.each(scopes)('a partner under consent "$name" sees nothing more, on any route', async (scope) => {
    await consentForSchool(scope.categories, scope.namesPolice ? [a.social, a.school, a.police] : [a.social, a.school]);
    expect(consentId).not.toBe('');
    const forbidden: string[] = [...MARK.owner, a.leisure, ...MARK.leisure];
    for (const category of ['social', 'health', 'plan', 'police'] as const) {
      if (!scope.categories.includes(category) || (category === 'police' && !scope.namesPolice)) forbidden.push(...MARK[category]);
    }
    if (!scope.namesPolice) forbidden.push(a.police);

    const answers = [...(await crawl(open)), ...(await crawl(closed))];
    // The partner does see the cases: the crawl is not vacuous.
    expect(answers.some((x) => x.url === `/api/cases/${open.id}` && x.status === 200)).toBe(true);
    expect(answers.some((x) => x.url === `/api/cases/${closed.id}/entries?pageSize=100` && x.status === 200)).toBe(true);
    // Printouts are searched by their text, not their deflated bytes.
    expect(answers.some((x) => x.url === `/api/cases/${open.id}/plan.pdf` && x.body.includes('Crawlersson811'))).toBe(true);
    for (const { url, body } of answers) {
      for (const text of forbidden) expect(body.includes(text), `${text} in ${url}`).toBe(false);
    }
    // What the consent names does cross.
    const all = answers.map((x) => x.body).join('\n');
    if (scope.categories.includes('social')) expect(all).toContain(MARK.social[0]);
    if (scope.categories.includes('plan')) expect(all).toContain(MARK.plan[3]);
    if (scope.namesPolice) for (const text of MARK.police) expect(all).toContain(text);
    // A document's metadata and its bytes (the download) cross with its category.
    if (scope.categories.includes('health')) for (const text of MARK.health.slice(1)) expect(all).toContain(text);

    // A protected subject: no partner learns the area or any other participating agency, whatever the consent says.
    const protectedAnswers = await crawl(hidden);
    expect(protectedAnswers.some((x) => x.url === `/api/cases/${hidden.id}` && x.status === 200)).toBe(true);
    for (const { url, body } of protectedAnswers.filter((x) => x.url !== '/api/cases/options')) {
      for (const text of [...MARK.owner, a.leisure, a.police, ...MARK.leisure, ...MARK.police, 'Hulta'])
        expect(body.includes(text), `${text} in ${url}`).toBe(false);
    }
  });
});
