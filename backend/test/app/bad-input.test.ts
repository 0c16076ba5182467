/**
 * Text PostgreSQL cannot store (NUL; unpaired UTF-16 surrogates) is refused with 400 on every
 * operation of the OpenAPI document, in every path and query parameter and in every text of
 * the body at any depth, naming the field, before it reaches the database. Unauthenticated
 * public operations (sign-in) included. Routes added later are covered without editing this file.
 */
import fc from 'fast-check';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../src/plugins/app/errors.js';
import { bearer, createTestApp, login } from '../helpers/app.js';
import { citizenSignIn } from '../helpers/citizen.js';
import { MINOR } from '../cases/fixtures.js';
import {
  encodeLoose,
  operationsOf,
  placesOf,
  replaceAt,
  urlOf,
  validRequest,
  type GeneratedRequest,
  type OpenApiDocument,
  type Operation,
} from './openapi-arbitraries.js';

const t = await createTestApp();
afterAll(() => t.close());
const doc = (await t.app.inject({ method: 'GET', url: '/api/docs/json' })).json() as OpenApiDocument;
const social = await login(t.app, 'social');
// Citizen routes refuse staff tokens (401 before any validation): there the caller is a citizen.
const citizen = (await citizenSignIn(t.app, { personalIdentityNumber: MINOR })).token;

interface Spoiled {
  where: string;
  path: string;
  req: GeneratedRequest;
}

/** One request per text field of `o`, each with `bad` in that field and nothing else wrong. */
function spoiledRequests(o: Operation, bad: string): Spoiled[] {
  const [sample] = fc.sample(validRequest(o, true), { seed: 11, numRuns: 1 });
  const base = sample!;
  const out: Spoiled[] = [];
  for (const name of Object.keys(base.params))
    out.push({ where: 'path', path: `params/${name}`, req: { ...base, params: { ...base.params, [name]: bad } } });
  for (const name of Object.keys(base.query))
    out.push({ where: 'query', path: `querystring/${name}`, req: { ...base, query: { ...base.query, [name]: bad } } });
  for (const place of placesOf(base.body)) {
    const value = place.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], base.body);
    if (typeof value !== 'string') continue;
    const body = replaceAt(structuredClone(base.body), place, `x${bad}`);
    out.push({ where: 'body', path: `body${place.map((k) => `/${k}`).join('')}`, req: { ...base, body } });
  }
  return out;
}

async function send(
  o: Operation,
  req: GeneratedRequest,
): Promise<{ status: number; body: { type?: string; errors?: { path: string }[] } }> {
  const token = o.path.startsWith('/api/citizen/') ? citizen : social;
  const headers = { ...(o.isPublic ? {} : bearer(token)), ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}) };
  const res = await t.app.inject({
    method: o.method as 'GET',
    url: urlOf(o, req),
    headers,
    ...(req.body !== undefined ? { payload: JSON.stringify(req.body) } : {}),
  });
  return { status: res.statusCode, body: res.headers['content-type']?.toString().includes('json') ? res.json() : {} };
}

describe('text the database cannot store', () => {
  const operations = operationsOf(doc);

  it('is checked on every operation, including the unauthenticated sign-in', () => {
    expect(operations.length).toBeGreaterThan(40);
    expect(operations.some((o) => o.isPublic && o.path === '/api/auth/login')).toBe(true);
  });

  for (const o of operations) {
    it(`${o.method} ${o.path}: NUL in any field → 400 naming the field`, async () => {
      const failures: string[] = [];
      for (const s of spoiledRequests(o, 'a\u0000b')) {
        const r = await send(o, s.req);
        const paths = r.body.errors?.map((e) => e.path) ?? [];
        if (r.status !== 400 || !paths.includes(s.path)) failures.push(`${s.path}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
      expect(failures).toEqual([]);
    });

    it(`${o.method} ${o.path}: an unpaired surrogate → 400 in a body text, never 5xx anywhere`, async () => {
      const failures: string[] = [];
      for (const s of spoiledRequests(o, '\ud800')) {
        const r = await send(o, s.req);
        if (r.status >= 500 || (s.where === 'body' && r.status !== 400))
          failures.push(`${s.path}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
      expect(failures).toEqual([]);
    });
  }

  it('answers problem+json with the field path, on sign-in too', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'social\u0000', password: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ type: 'urn:samverka:problem:validation', status: 400, errors: [{ path: 'body/username' }] });
    expect(res.body).not.toContain('social');
  });

  it('a text the database refuses that no schema saw (a multipart field read by a handler) is a 400, not a 500', async () => {
    const app = Fastify();
    registerErrorHandling(app);
    app.get('/pg', async () => t.sql.query('SELECT $1::text', ['a\u0000']));
    app.get('/orm', async () =>
      t.orm.em
        .fork()
        .getConnection()
        .execute('SELECT ?::jsonb', [JSON.stringify({ a: 'x\u0000' })]),
    );
    app.get('/inlined', async () => t.orm.em.fork().getConnection().execute('SELECT ?::text', ['a\u0000']));
    for (const url of ['/pg', '/orm', '/inlined']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json()).toMatchObject({ type: 'urn:samverka:problem:validation' });
    }
    await app.close();
  });

  it('finds text at any depth and in property names, and a path with broken encoding is a 400 problem', async () => {
    const deep = await t.app.inject({
      method: 'POST',
      url: '/api/cases/search',
      headers: bearer(social),
      payload: { q: 'ok', nested: [{ a: ['fine', 'x\udc00'] }] },
    });
    expect(deep.statusCode).toBe(400);
    expect(deep.json().errors).toEqual([expect.objectContaining({ path: 'body/nested/0/a/1' })]);
    const key = await t.app.inject({ method: 'POST', url: '/api/cases/search', headers: bearer(social), payload: { 'q\u0000': 'x' } });
    expect(key.json().errors).toEqual([expect.objectContaining({ path: 'body' })]);
    const url = await t.app.inject({ method: 'GET', url: `/api/cases/${encodeLoose('\ud800')}`, headers: bearer(social) });
    expect(url.statusCode).toBe(400);
    expect(url.headers['content-type']).toContain('application/problem+json');
    expect(url.body).not.toContain('%ED');
  });
});
