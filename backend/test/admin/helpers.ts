import type { LightMyRequestResponse } from 'fastify';
import { bearer, type TestContext } from '../helpers/app.js';

type Method = 'GET' | 'POST' | 'PATCH';

/** One request with a bearer token (and a JSON body when given). */
export function call(t: TestContext, token: string, method: Method, url: string, payload?: object): Promise<LightMyRequestResponse> {
  return t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
}

export async function userId(t: TestContext, username: string): Promise<string> {
  return (await t.sql.query<{ id: string }>('SELECT id FROM app_user WHERE username = $1', [username])).rows[0]!.id;
}

export async function agencyIdOfKind(t: TestContext, kind: string): Promise<string> {
  return (await t.sql.query<{ id: string }>('SELECT id FROM agency WHERE kind = $1 ORDER BY name LIMIT 1', [kind])).rows[0]!.id;
}

export async function auditCount(t: TestContext, action: string, outcome: 'allowed' | 'denied'): Promise<number> {
  return (
    await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_queue WHERE action = $1 AND outcome = $2', [action, outcome])
  ).rows[0]!.n;
}
