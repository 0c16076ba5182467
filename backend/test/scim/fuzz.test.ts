/**
 * The OpenAPI fuzzer's property for the SCIM operations, sent with a SCIM token of an agency (the
 * shared fuzzer only has sign-in tokens, which SCIM refuses): generated valid and spoiled requests
 * never get a 5xx, and every answer is documented with a body matching its schema. Ids are drawn
 * from the agency's own users, another agency's and random ones.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login } from '../helpers/app.js';
import {
  harvestIds,
  invalidRequest,
  operationsOf,
  ResponseChecker,
  urlOf,
  validRequest,
  type GeneratedRequest,
  type OpenApiDocument,
} from '../app/openapi-arbitraries.js';
import { SCIM } from '../../src/modules/scim/scim.schemas.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

const t = await createTestApp();
afterAll(() => t.close());
const doc = (await t.app.inject({ method: 'GET', url: '/api/docs/json' })).json() as OpenApiDocument;
const ORDER = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];
const operations = operationsOf(doc)
  .filter((o) => o.path.startsWith('/scim/'))
  .sort((a, b) => ORDER.indexOf(a.method) - ORDER.indexOf(b.method));
const checker = new ResponseChecker();

const admin = await login(t.app, 'admin');
const { rows } = await t.sql.query<{ id: string }>("SELECT id FROM agency WHERE kind = 'police'");
const created = await t.app.inject({ method: 'POST', url: `/api/admin/agencies/${rows[0]!.id}/scim-tokens`, headers: bearer(admin) });
const token: string = created.json().token;
// Every user's id (the agency's own and others'), so that generated ids reach real rows.
harvestIds((await t.sql.query<{ id: string }>('SELECT id FROM app_user')).rows.map((r) => r.id));

/**
 * A valid request's body names the right SCIM schema, and its operations are add, replace or
 * remove, most of the time: otherwise nearly every generated body is refused before it does anything.
 */
function withScimSchemas(req: GeneratedRequest): fc.Arbitrary<GeneratedRequest> {
  const body = req.body as { schemas?: unknown; Operations?: { op?: unknown; path?: unknown }[] } | undefined;
  if (!body || typeof body !== 'object' || !Array.isArray(body.schemas)) return fc.constant(req);
  return fc
    .record({
      fix: fc.boolean(),
      ops: fc.array(fc.constantFrom('add', 'Replace', 'remove'), { minLength: 5, maxLength: 5 }),
      paths: fc.array(fc.constantFrom(undefined, 'active', 'displayName', 'name.givenName', 'emails[type eq "work"].value', 'externalId'), {
        minLength: 5,
        maxLength: 5,
      }),
    })
    .map(({ fix, ops, paths }) => {
      if (!fix) return req;
      const fixed = structuredClone(body);
      fixed.schemas = [fixed.Operations ? SCIM.patch : SCIM.user];
      fixed.Operations?.forEach((op, i) => {
        op.op = ops[i % ops.length];
        op.path = paths[i % paths.length];
        if (op.path === undefined) delete op.path;
      });
      return { ...req, body: fixed };
    });
}

describe('every SCIM operation, with an agency’s token', () => {
  it('is in the OpenAPI document', () => {
    expect(operations.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining(['GET /scim/v2/Users', 'POST /scim/v2/Users', 'PATCH /scim/v2/Users/{id}', 'DELETE /scim/v2/Users/{id}']),
    );
  });

  for (const o of operations) {
    it(`${o.method} ${o.path}: no 5xx, every answer documented and matching its schema`, async () => {
      let checked = 0;
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(fc.oneof(validRequest(o).chain(withScimSchemas), invalidRequest(o)), fc.ipV4(), async (req, remoteAddress) => {
          const body =
            req.raw ?? (req.body !== undefined ? { payload: JSON.stringify(req.body), contentType: 'application/scim+json' } : undefined);
          const res = await t.app.inject({
            remoteAddress,
            method: o.method as 'GET',
            url: urlOf(o, req),
            headers: { ...bearer(token), ...(body ? { 'content-type': body.contentType } : {}) },
            ...(body ? { payload: body.payload } : {}),
          });
          if (res.statusCode < 300 && res.body) harvestIds(JSON.parse(res.body));
          const problems = [...(res.statusCode >= 500 ? [`server error ${res.statusCode}: ${res.body}`] : []), ...checker.check(o, res)];
          if (problems.length) throw new Error(`${o.method} ${urlOf(o, req).slice(0, 300)} → ${res.statusCode}\n${problems.join('\n')}`);
          checked++;
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      expect(checked).toBe(RUNS);
      // Not only refusals: the handlers themselves were reached.
      expect(
        [...statuses.keys()].some((s) => s < 300 || s === 404 || s === 409),
        JSON.stringify([...statuses]),
      ).toBe(true);
    });
  }
});
