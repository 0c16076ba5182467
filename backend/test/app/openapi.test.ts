/**
 * The OpenAPI document says what the API does (operation ids, summaries, optional defaulted
 * parameters, 503 on readiness, the lists the server checks), and the answers HTTP gives before
 * any route runs are problem+json like every other: 405 with Allow, 414, 431, a broken request.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_URL_LENGTH } from '../../src/plugins/app/http-protocol.js';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';
import { operationsOf, type OpenApiDocument } from './openapi-arbitraries.js';

let t: TestContext;
let doc: OpenApiDocument & {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: {
          name: string;
          in: string;
          required?: boolean;
          schema?: { default?: unknown };
        }[];
        requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
      }
    >
  >;
};

beforeAll(async () => {
  t = await createTestApp();
  doc = (await t.app.inject({ method: 'GET', url: '/api/docs/json' })).json();
});
afterAll(() => t.close());

/** Sends raw bytes to a listening copy of the app and returns the raw answer. */
async function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (d) => {
      data += d.toString('latin1');
    });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('the OpenAPI document', () => {
  it('gives every operation a unique operationId and a summary', () => {
    const ops = operationsOf(doc);
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ops.filter((o) => !o.op.summary)).toEqual([]);
    expect(doc.paths['/api/cases/{id}/entries']!.get!).toMatchObject({ operationId: 'getCasesByIdEntries' });
  });

  it('does not require a parameter that has a default', () => {
    const wrong = operationsOf(doc).flatMap((o) =>
      (o.op.parameters ?? []).filter((p) => p.required && p.schema && 'default' in p.schema).map((p) => `${o.method} ${o.path} ${p.name}`),
    );
    expect(wrong).toEqual([]);
    const page = doc.paths['/api/cases']!.get!.parameters!.find((p) => p.name === 'page')!;
    expect(page).toMatchObject({ required: false, schema: { default: 1 } });
  });

  it("documents 503 on readiness, and the shared layers' answers on every operation", () => {
    const ready = operationsOf(doc).find((o) => o.path === '/api/ready')!;
    expect(Object.keys(ready.op.responses!)).toEqual(expect.arrayContaining(['200', '503']));
    expect(ready.op.security).toEqual([]);
    const entry = doc.paths['/api/cases/{id}/entries']!.post! as unknown as { responses: Record<string, unknown> };
    expect(Object.keys(entry.responses)).toEqual(expect.arrayContaining(['400', '401', '404', '413', '414', '415', '429', '500', '503']));
  });

  it('documents the areas, categories and life areas the server checks (from policies/), without compiling them in', () => {
    type Field = { enum?: string[]; description: string; 'x-policy-values': string[] };
    const body = (path: string) =>
      doc.paths[path]!.post!.requestBody!.content['application/json']!.schema as { properties: Record<string, Field & { items: Field }> };
    const area = body('/api/cases').properties.area!;
    expect(area['x-policy-values']).toEqual(expect.arrayContaining(['Norrby', 'Hässleholmen', 'Hulta', 'Sjöbo']));
    expect(area.description).toMatch(/policies\/areas\.yaml.*checked by the server/);
    // Configuration differs per municipality: a client generated from one document must not fix it.
    expect(area.enum).toBeUndefined();
    expect(body('/api/cases/{id}/entries').properties.category!['x-policy-values']).toEqual(
      expect.arrayContaining(['identity', 'school', 'social', 'police', 'plan']),
    );
    expect(body('/api/cases/{id}/plan-items').properties.lifeArea!['x-policy-values']).toEqual(
      expect.arrayContaining(['school', 'housing', 'social_network']),
    );
    expect(body('/api/cases/{id}/consents').properties.categories!.items['x-policy-values']).toContain('identity');
    const listArea = doc.paths['/api/cases']!.get!.parameters!.find((p) => p.name === 'area')!;
    expect(listArea.schema).toMatchObject({ 'x-policy-values': expect.arrayContaining(['Norrby']) });
  });
});

describe('answers before any route', () => {
  it('405 with Allow for a known path and a method it does not have, authenticated or not', async () => {
    const anon = await t.app.inject({ method: 'DELETE', url: '/api/cases' });
    expect(anon.statusCode).toBe(405);
    expect(anon.headers.allow).toBe('GET, HEAD, POST');
    expect(anon.headers['content-type']).toContain('application/problem+json');
    expect(anon.json()).toMatchObject({ type: 'urn:samverka:problem:method_not_allowed', status: 405 });
    const token = await login(t.app, 'social');
    const withParam = await t.app.inject({
      method: 'PUT',
      url: '/api/cases/00000000-0000-4000-8000-000000000001/plan-items/x?y=1',
      headers: bearer(token),
    });
    expect(withParam.statusCode).toBe(405);
    expect(withParam.headers.allow).toBe('PATCH');
    // A path no route has stays 404, and the right method still reaches its route.
    expect((await t.app.inject({ method: 'DELETE', url: '/api/nothing-here' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });

  it('414 for a URL over the limit, without echoing it', async () => {
    const marker = 'personnummer19990101';
    const res = await t.app.inject({ method: 'GET', url: `/api/cases?q=${marker}${'x'.repeat(MAX_URL_LENGTH)}` });
    expect(res.statusCode).toBe(414);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).not.toContain(marker);
    const longParam = await t.app.inject({ method: 'GET', url: `/api/cases/${marker}${'y'.repeat(300)}` });
    expect(longParam.statusCode).toBe(414);
    expect(longParam.headers['content-type']).toContain('application/problem+json');
    expect(longParam.body).not.toContain(marker);
  });

  it('431 and 414 from the HTTP parser as problem+json, without echoing the request', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(address).port);
    const marker = 'secret19990101';
    const headers = await raw(port, `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${marker}${'h'.repeat(20_000)}\r\n\r\n`);
    expect(headers).toMatch(/^HTTP\/1\.1 431 /);
    expect(headers).toContain('application/problem+json');
    expect(headers).toContain('urn:samverka:problem:headers_too_large');
    expect(headers).not.toContain(marker);
    expect(JSON.parse(headers.slice(headers.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 431, requestId: expect.any(String) });
    const url = await raw(port, `GET /api/cases?q=${marker}${'u'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(url).toMatch(/^HTTP\/1\.1 414 /);
    expect(url).not.toContain(marker);
    const broken = await raw(port, 'NOT A REQUEST\r\n\r\n');
    expect(broken).toMatch(/^HTTP\/1\.1 400 /);
    expect(broken).toContain('application/problem+json');
  });
});
