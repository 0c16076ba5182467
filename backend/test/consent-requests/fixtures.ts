import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { bearer, createUser, login, type TestContext } from '../helpers/app.js';
import { daysFromToday } from '../consents/fixtures.js';

// The same family as the citizen tests: one fixture for both.
export { openFamilyCase, type Family } from '../citizen/consent-fixtures.js';

/** A request body for `agencyIds` (the owner's first) with a period from today. */
export function requestBody(agencyIds: string[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    agencyIds,
    categories: ['identity', 'school'],
    purpose: 'Att skolan och socialtjänsten kan planera stödet tillsammans',
    explanation: 'Skolan får veta att du har stöd från oss, och vi får veta hur det går i skolan.',
    validFrom: daysFromToday(0),
    validTo: daysFromToday(180),
    ...overrides,
  };
}

export async function createRequest(
  app: FastifyInstance,
  token: string,
  caseId: string,
  body: Record<string, unknown>,
): Promise<{ id: string; status: string } & Record<string, unknown>> {
  const res = await app.inject({ method: 'POST', url: `/api/cases/${caseId}/consent-requests`, headers: bearer(token), payload: body });
  if (res.statusCode !== 201) throw new Error(`create request: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** A social worker of another social services agency: the family's case is not theirs to know. */
export async function otherSocialWorker(t: TestContext): Promise<string> {
  const admin = await login(t.app, 'admin');
  const other = await t.app.inject({
    method: 'POST',
    url: '/api/admin/agencies',
    headers: bearer(admin),
    payload: { name: 'Grannkommunen IFO', kind: 'social_services' },
  });
  await createUser(
    t.app,
    admin,
    {
      username: 'othersocial',
      displayName: 'Olle Annan',
      password: 'other-social-pass',
      agencyId: other.json().id,
      roles: ['social_worker'],
    },
    { approver: await login(t.app, 'admin2') },
  );
  return login(t.app, 'othersocial', 'other-social-pass');
}

/** The problem's machine code (`urn:samverka:problem:<code>`). */
export const code = (res: LightMyRequestResponse): string =>
  String((res.json() as { type?: string }).type).replace('urn:samverka:problem:', '');
