import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { bearer, type TestContext } from '../helpers/app.js';
import { pin } from '../helpers/pin.js';

export { pin };

export const MINOR = pin('20110314', '238'); // 15 years old in 2026
export const ADULT = pin('19990101', '456');

export function newCaseBody(overrides: Record<string, unknown> = {}, subject: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'sspf',
    area: 'Norrby',
    reason: 'Hög frånvaro och oro från skolan.',
    subject: {
      personalIdentityNumber: MINOR,
      firstName: 'Elin',
      lastName: 'Andersson',
      protectedIdentity: 'none',
      guardians: [
        { firstName: 'Anna', lastName: 'Andersson', personalIdentityNumber: pin('19800520', '222'), custody: true },
        { firstName: 'Per', lastName: 'Andersson', custody: false },
      ],
      ...subject,
    },
    ...overrides,
  };
}

export interface Agencies {
  social: string;
  school: string;
  police: string;
  leisure: string;
  it: string;
}

export async function agencies(t: TestContext): Promise<Agencies> {
  const { rows } = await t.sql.query<{ username: string; agency_id: string }>(
    "SELECT username, agency_id FROM app_user WHERE username IN ('social','school','police','leisure','admin')",
  );
  const by = Object.fromEntries(rows.map((r) => [r.username, r.agency_id]));
  return { social: by.social!, school: by.school!, police: by.police!, leisure: by.leisure!, it: by.admin! };
}

export async function createCase(
  app: FastifyInstance,
  token: string,
  overrides: Record<string, unknown> = {},
  subject: Record<string, unknown> = {},
): Promise<
  { id: string; subject: { id: string; guardians: ({ id: string } & Record<string, unknown>)[] } & Record<string, unknown> } & Record<
    string,
    unknown
  >
> {
  const res = await app.inject({ method: 'POST', url: '/api/cases', headers: bearer(token), payload: newCaseBody(overrides, subject) });
  if (res.statusCode !== 201) throw new Error(`create case: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function count(t: TestContext, table: string, where = 'true', params: unknown[] = []): Promise<number> {
  return (await t.sql.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params)).rows[0].n as number;
}

export async function deniedCount(t: TestContext): Promise<number> {
  return count(t, 'audit_queue', "outcome = 'denied'");
}

export const json = (res: LightMyRequestResponse): Record<string, unknown> => res.json();
