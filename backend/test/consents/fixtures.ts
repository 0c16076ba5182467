import type { FastifyInstance } from 'fastify';
import { addDays, addMonths, stockholmDate } from '../../src/modules/consents/calendar.js';
import { bearer } from '../helpers/app.js';
import { createCase, pin } from '../cases/fixtures.js';

export { agencies, count, deniedCount, type Agencies } from '../cases/fixtures.js';

/** Today on the Stockholm calendar, and days and years around it. */
export const today = (): string => stockholmDate(new Date());
export const daysFromToday = (n: number): string => addDays(today(), n);
/** The birth date of someone who turns `years` old `days` days from today (negative: already). */
export const birthDateFor = (years: number, days = 0): string => addMonths(addDays(today(), days), -12 * years);

export interface TestCase {
  id: string;
  subjectId: string;
  /** Guardians with custody first (the two with custody are interchangeable), then the others. */
  guardianIds: string[];
}

/**
 * Opens a case for a subject born on `birthDate` (a valid personnummer is computed), with the
 * given guardians (custody true/false) and participating agencies.
 */
export async function openCase(
  app: FastifyInstance,
  token: string,
  birthDate: string,
  opts: { guardians?: boolean[]; agencyIds?: string[]; serial?: string; subject?: Record<string, unknown> } = {},
): Promise<TestCase> {
  const c = await createCase(
    app,
    token,
    { agencyIds: opts.agencyIds ?? [] },
    {
      personalIdentityNumber: pin(birthDate.replaceAll('-', ''), opts.serial ?? '123'),
      guardians: (opts.guardians ?? []).map((custody, i) => ({ firstName: `Förälder${i + 1}`, lastName: 'Testsson', custody })),
      ...opts.subject,
    },
  );
  const guardians = c.subject.guardians as { id: string; custody: boolean }[];
  return {
    id: c.id,
    subjectId: c.subject.id,
    guardianIds: [...guardians.filter((g) => g.custody), ...guardians.filter((g) => !g.custody)].map((g) => g.id),
  };
}

export interface ConsentInput {
  givenBy: { kind: 'subject' } | { kind: 'guardian'; guardianId: string };
  agencyIds: string[];
  categories: string[];
  purpose?: string;
  validFrom?: string;
  validTo?: string;
  method?: 'written' | 'digital' | 'oral';
  witness?: string;
  evidenceRef?: string;
}

export function consentBody(c: ConsentInput): Record<string, unknown> {
  const method = c.method ?? 'written';
  return {
    givenBy: c.givenBy,
    agencyIds: c.agencyIds,
    categories: c.categories,
    purpose: c.purpose ?? 'Samordnat stöd i skola och fritid',
    validFrom: c.validFrom ?? daysFromToday(-30),
    validTo: c.validTo ?? daysFromToday(300),
    method,
    ...(method === 'oral' ? { witness: c.witness ?? 'Kalle Kurator' } : { evidenceRef: c.evidenceRef ?? 'dok:2026/0001' }),
  };
}

export async function recordConsent(
  app: FastifyInstance,
  token: string,
  caseId: string,
  c: ConsentInput,
): Promise<{ id: string; status: string; receiptId: string }> {
  const res = await app.inject({ method: 'POST', url: `/api/cases/${caseId}/consents`, headers: bearer(token), payload: consentBody(c) });
  if (res.statusCode !== 201) throw new Error(`record consent: ${res.statusCode} ${res.body}`);
  return res.json();
}
