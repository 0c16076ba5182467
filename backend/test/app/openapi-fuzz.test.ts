/**
 * Property-based test over the OpenAPI document: for every operation it documents, generated
 * valid and invalid requests (path, query, body), sent unauthenticated, as a social worker, a
 * partner (school), an auditor and an admin (on citizen routes: a signed-in citizen), never get a 5xx, and every answer is documented for the
 * operation with a body that matches the documented schema. Routes added later are covered
 * without editing this file. Replay a failure with FUZZ_SEED=<seed printed by fast-check>.
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { agencies, createCase, MINOR } from '../cases/fixtures.js';
import { bearer, createTestApp, login } from '../helpers/app.js';
import { citizenSignIn } from '../helpers/citizen.js';
import {
  harvestIds,
  sparedIds,
  invalidRequest,
  operationsOf,
  ResponseChecker,
  urlOf,
  validRequest,
  type GeneratedRequest,
  type OpenApiDocument,
  type Operation,
} from './openapi-arbitraries.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.FUZZ_RUNS ?? 24);
type Caller = 'anonymous' | 'social' | 'school' | 'auditor' | 'admin';
const CALLERS: Caller[] = ['social', 'school', 'auditor', 'admin'];

const t = await createTestApp();
afterAll(() => t.close());
const doc = (await t.app.inject({ method: 'GET', url: '/api/docs/json' })).json() as OpenApiDocument;
// Reads first (they fill the id pool), then writes; logout last but one.
const ORDER = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];
const operations = operationsOf(doc).sort((a, b) => ORDER.indexOf(a.method) - ORDER.indexOf(b.method));
const checker = new ResponseChecker();
// Most answers to an anonymous caller are 401: spend most runs signed in.
const callerArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Caller>('anonymous') },
  { weight: 3, arbitrary: fc.constant<Caller>('social') },
  { weight: 2, arbitrary: fc.constant<Caller>('school') },
  { weight: 2, arbitrary: fc.constant<Caller>('auditor') },
  { weight: 1, arbitrary: fc.constant<Caller>('admin') },
);
// The admin may deactivate users by id: never the ones the run signs in as.
const own = await t.sql.query<{ id: string }>('SELECT id FROM app_user WHERE username = ANY($1)', [CALLERS]);
for (const r of own.rows) sparedIds.add(r.id);

const tokens = new Map<Caller, string>();
async function tokenOf(caller: Caller): Promise<string | undefined> {
  if (caller === 'anonymous') return undefined;
  if (!tokens.has(caller)) tokens.set(caller, await login(t.app, caller));
  return tokens.get(caller);
}

// Citizen routes refuse staff tokens (401, which would sign the caller in again on every run):
// a signed-in caller there is the case's young person, signed in again after the run's own logout.
let citizenToken: string | undefined;
async function citizenTokenOf(caller: Caller): Promise<string | undefined> {
  if (caller === 'anonymous') return undefined;
  citizenToken ??= (await citizenSignIn(t.app, { personalIdentityNumber: MINOR })).token;
  return citizenToken;
}
const isCitizenRoute = (o: Operation): boolean => o.path.startsWith('/api/citizen/');

// A case the social worker owns with the school taking part, so generated ids reach real rows.
const social = await tokenOf('social');
const a = await agencies(t);
harvestIds(await createCase(t.app, social!, { agencyIds: [a.school] }));
harvestIds((await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(social!) })).json());

async function send(o: Operation, req: GeneratedRequest, caller: Caller, remoteAddress: string): Promise<LightMyRequestResponse> {
  const citizen = isCitizenRoute(o);
  const token = citizen ? await citizenTokenOf(caller) : await tokenOf(caller);
  const body = req.raw ?? (req.body !== undefined ? { payload: JSON.stringify(req.body), contentType: 'application/json' } : undefined);
  const res = await t.app.inject({
    // From generated addresses: the run's failed sign-ins must not throttle the address the
    // callers sign in from (again, after the run's own logouts).
    remoteAddress,
    method: o.method as 'GET',
    url: urlOf(o, req),
    headers: { ...(token ? bearer(token) : {}), ...(body ? { 'content-type': body.contentType } : {}) },
    ...(body ? { payload: body.payload } : {}),
  });
  // A session ended by the run itself (logout): sign in again for the next request.
  if (token && res.statusCode === 401) {
    if (citizen) citizenToken = undefined;
    else tokens.delete(caller);
  }
  if (res.statusCode < 300 && /json/.test(String(res.headers['content-type']))) harvestIds(JSON.parse(res.body));
  return res;
}

describe('every operation of the OpenAPI document', () => {
  it('is found in the document', () => {
    expect(operations.length).toBeGreaterThan(40);
  });

  for (const o of operations) {
    it(`${o.method} ${o.path}: no 5xx, every answer documented and matching its schema`, async () => {
      const request = fc.oneof(validRequest(o), invalidRequest(o));
      let checked = 0;
      await fc.assert(
        fc.asyncProperty(request, callerArb, fc.ipV4(), async (req, caller, address) => {
          const res = await send(o, req, caller, address);
          const problems = [...(res.statusCode >= 500 ? [`server error ${res.statusCode}: ${res.body}`] : []), ...checker.check(o, res)];
          if (problems.length)
            throw new Error(`${caller} ${o.method} ${urlOf(o, req).slice(0, 300)} → ${res.statusCode}\n${problems.join('\n')}`);
          checked++;
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      expect(checked).toBe(RUNS);
    });
  }
});
