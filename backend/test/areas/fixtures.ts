import type { LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { bearer, type TestContext } from '../helpers/app.js';

export type Method = 'GET' | 'POST' | 'PATCH';

export const call = (
  t: TestContext,
  token: string | null,
  method: Method,
  url: string,
  payload?: object,
): Promise<LightMyRequestResponse> =>
  t.app.inject({
    method,
    url,
    headers: token ? bearer(token) : {},
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });

/** A valid observation body for an hour ago; `over` replaces fields. */
export const observation = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  observedAt: new Date(Date.now() - 3_600_000).toISOString(),
  place: 'Vid fritidsgården, Norrby torg',
  category: 'gatherings',
  groupSize: 15,
  ageFrom: 13,
  ageTo: 16,
  description: 'En grupp ungdomar samlades sent på kvällen, ingen störning.',
  ...over,
});

export async function auditRows(
  t: TestContext,
  action: string,
): Promise<{ outcome: string; reason: string | null; resource_id: string | null }[]> {
  const { rows } = await t.sql.query('SELECT outcome, reason, resource_id FROM audit_queue WHERE action = $1 ORDER BY event_id', [action]);
  return rows;
}

export const count = async (t: TestContext, table: string): Promise<number> =>
  (await t.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;

const luhn = (digits: string): number => {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
};

/**
 * A valid personnummer or samordningsnummer (day + 60), written as people write them: with or
 * without the century, with or without the dash.
 */
export const identityNumber = fc
  .record({
    date: fc.date({ min: new Date('1925-01-01T00:00:00Z'), max: new Date('2025-12-31T00:00:00Z'), noInvalidDate: true }),
    serial: fc.integer({ min: 1, max: 999 }),
    coordination: fc.boolean(),
    century: fc.boolean(),
    dash: fc.boolean(),
  })
  .map(({ date, serial, coordination, century, dash }) => {
    const yyyy = String(date.getUTCFullYear());
    const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
    const dd = String(date.getUTCDate() + (coordination ? 60 : 0)).padStart(2, '0');
    const nnn = String(serial).padStart(3, '0');
    const ten = `${yyyy.slice(2)}${mm}${dd}${nnn}`;
    const check = luhn(ten);
    return `${century ? yyyy : yyyy.slice(2)}${mm}${dd}${dash ? '-' : ''}${nnn}${check}`;
  });

/** Free text around a number: never a digit where it touches the number. */
export const around = fc.string({ maxLength: 40 }).map((s) => s.replace(/\d/g, 'x'));
