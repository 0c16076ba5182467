import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { bearer, createUser, login, type TestContext } from '../helpers/app.js';
import { createCase, pin } from '../cases/fixtures.js';
import { birthDateFor, daysFromToday } from '../consents/fixtures.js';

/** A 15-year-old with one guardian with custody and one without, each with a personnummer. */
export interface Family {
  caseId: string;
  subjectId: string;
  subjectPin: string;
  custodialId: string;
  custodialPin: string;
  otherId: string;
  otherPin: string;
}

/** Opens the family's case with `agencyIds` taking part; `serial` (three digits) keeps families apart. */
export async function openFamilyCase(
  app: FastifyInstance,
  social: string,
  serial: string,
  agencyIds: string[],
  subject: Record<string, unknown> = {},
): Promise<Family> {
  const subjectPin = pin(birthDateFor(15, -10).replaceAll('-', ''), serial);
  const custodialPin = pin('19800520', serial);
  const otherPin = pin('19790611', serial);
  const c = await createCase(
    app,
    social,
    { agencyIds },
    {
      personalIdentityNumber: subjectPin,
      firstName: 'Zelmira',
      lastName: 'Qvarnström',
      guardians: [
        { firstName: 'Yngvild', lastName: 'Qvarnström', personalIdentityNumber: custodialPin, custody: true },
        { firstName: 'Torbjörn', lastName: 'Qvarnström', personalIdentityNumber: otherPin, custody: false },
      ],
      ...subject,
    },
  );
  const guardians = c.subject.guardians as { id: string; custody: boolean }[];
  return {
    caseId: c.id,
    subjectId: c.subject.id,
    subjectPin,
    custodialId: guardians.find((g) => g.custody)!.id,
    custodialPin,
    otherId: guardians.find((g) => !g.custody)!.id,
    otherPin,
  };
}

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
