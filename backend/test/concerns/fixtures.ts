import type { LightMyRequestResponse } from 'fastify';
import { stockholmDate } from '../../src/modules/consents/calendar.js';
import { bearer, type TestContext } from '../helpers/app.js';

export const today = (): string => stockholmDate(new Date());

/** A concern as a school counsellor would write it. */
export function concernBody(overrides: Record<string, unknown> = {}, person: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    person: { firstName: 'Elin', lastName: 'Andersson', ...person },
    area: 'Norrby',
    observation: 'Har inte varit i skolan på tre veckor och har synts med äldre ungdomar sent på kvällarna.',
    observedOn: today(),
    observedPlace: 'Skolgården vid Engelbrektskolan',
    assessment: 'Vi bedömer att eleven behöver stöd från socialtjänsten.',
    guardiansInformed: true,
    contact: { phone: '033-35 70 00', email: 'kurator@example.org' },
    urgency: 'normal',
    ...overrides,
  };
}

export const call = (t: TestContext, token: string | null, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  t.app.inject({
    method,
    url,
    ...(token ? { headers: bearer(token) } : {}),
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });

export async function raise(
  t: TestContext,
  token: string,
  body: Record<string, unknown>,
): Promise<{ id: string } & Record<string, unknown>> {
  const res = await call(t, token, 'POST', '/api/concerns', body);
  if (res.statusCode !== 201) throw new Error(`raise: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** An answer with what differs between any two concerns (ids, references, times) blanked out. */
export function normalized(res: LightMyRequestResponse): string {
  return res.body
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID')
    .replace(/ORO-\d{4}-\d{4}/g, 'REF')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, 'TIME');
}

export async function events(t: TestContext, resourceId: string): Promise<{ action: string; outcome: string; reason: string | null }[]> {
  const { rows } = await t.sql.query('SELECT action, outcome, reason FROM audit_queue WHERE resource_id = $1 ORDER BY event_id', [
    resourceId,
  ]);
  return rows;
}
