import { describe, expect, it } from 'vitest';
import { addDays, addMonths, stockholmDate } from '../../src/modules/consents/calendar.js';
import { requestStatus, type RequestAnswerFact, type RequestStatus } from '../../src/modules/consent-requests/request-status.js';

/** The rules of policies/consent.yaml as shipped: guardians with custody; from 15 also the subject; from 18 the subject alone. */
const RULES = {
  requiredParties: [
    { fromAge: 0, parties: ['custodialGuardians'] as const },
    { fromAge: 15, parties: ['custodialGuardians', 'subject'] as const },
    { fromAge: 18, parties: ['subject'] as const },
  ],
};

const AT = new Date('2026-12-05T12:00:00Z');
const TODAY = stockholmDate(AT);
const born = (years: number): string => addMonths(addDays(TODAY, -10), -12 * years);
const G1 = '11111111-1111-4111-8111-111111111111';
const G2 = '22222222-2222-4222-8222-222222222222';
const G3 = '33333333-3333-4333-8333-333333333333';
const GUARDIANS = [
  { id: G1, custody: true },
  { id: G2, custody: true },
  { id: G3, custody: false },
];

const yes = (who: string): RequestAnswerFact =>
  who === 'subject'
    ? { answeredByKind: 'subject', guardianId: null, decision: 'accept' }
    : { answeredByKind: 'guardian', guardianId: who, decision: 'accept' };
const no = (who: string): RequestAnswerFact => ({ ...yes(who), decision: 'decline' });

interface Row {
  name: string;
  age: number | null;
  answers: RequestAnswerFact[];
  expiresInHours?: number;
  cancelled?: boolean;
  validToDays?: number;
  status: RequestStatus;
  awaiting: string[];
}

// The decision table of a request's status (the rule is code, so its table lives here).
const TABLE: Row[] = [
  { name: 'a child: both guardians with custody awaited', age: 12, answers: [], status: 'open', awaiting: [G1, G2] },
  { name: 'a child: one guardian accepted', age: 12, answers: [yes(G1)], status: 'open', awaiting: [G2] },
  { name: 'a child: both accepted', age: 12, answers: [yes(G1), yes(G2)], status: 'accepted', awaiting: [] },
  { name: 'a child: a guardian without custody does not count', age: 12, answers: [yes(G1), yes(G3)], status: 'open', awaiting: [G2] },
  {
    name: 'a child: the child’s own answer does not count',
    age: 12,
    answers: [yes(G1), yes(G2), no('subject')],
    status: 'accepted',
    awaiting: [],
  },
  { name: '15: guardians and the youth', age: 15, answers: [yes(G1), yes(G2)], status: 'open', awaiting: ['subject'] },
  { name: '15: all accepted', age: 15, answers: [yes(G1), yes(G2), yes('subject')], status: 'accepted', awaiting: [] },
  { name: '15: the youth declined', age: 15, answers: [yes(G1), no('subject')], status: 'declined', awaiting: [] },
  { name: '15: one guardian declined', age: 15, answers: [no(G2)], status: 'declined', awaiting: [] },
  { name: 'adult: the subject alone', age: 19, answers: [yes('subject')], status: 'accepted', awaiting: [] },
  { name: 'adult: a guardian’s decline no longer counts', age: 19, answers: [no(G1)], status: 'open', awaiting: ['subject'] },
  { name: 'expired, unanswered', age: 19, answers: [], expiresInHours: -1, status: 'expired', awaiting: [] },
  {
    name: 'expired after being accepted stays accepted',
    age: 19,
    answers: [yes('subject')],
    expiresInHours: -1,
    status: 'accepted',
    awaiting: [],
  },
  { name: 'declined stays declined after it expires', age: 15, answers: [no(G1)], expiresInHours: -1, status: 'declined', awaiting: [] },
  { name: 'the consent period has ended', age: 19, answers: [], validToDays: -1, status: 'expired', awaiting: [] },
  { name: 'the period ends today: still open', age: 19, answers: [], validToDays: 0, status: 'open', awaiting: ['subject'] },
  { name: 'cancelled, partly answered', age: 15, answers: [yes(G1)], cancelled: true, status: 'cancelled', awaiting: [] },
  { name: 'no birth date: nobody can be required, never accepted', age: null, answers: [yes('subject')], status: 'open', awaiting: [] },
];

describe('decision table: consent request status', () => {
  it.each(TABLE)('$name → $status', (row) => {
    const s = requestStatus(RULES, {
      expiresAt: new Date(AT.getTime() + (row.expiresInHours ?? 24) * 3_600_000),
      cancelledAt: row.cancelled ? new Date(AT.getTime() - 60_000) : null,
      validTo: addDays(TODAY, row.validToDays ?? 100),
      subjectBirthDate: row.age === null ? null : born(row.age),
      guardians: GUARDIANS,
      answers: row.answers,
      at: AT,
    });
    expect(s.status).toBe(row.status);
    expect(s.awaiting.map((p) => (p.kind === 'subject' ? 'subject' : p.guardianId))).toEqual(row.awaiting);
  });

  it('a child without a guardian with custody has nobody to answer: never accepted', () => {
    const s = requestStatus(RULES, {
      expiresAt: new Date(AT.getTime() + 3_600_000),
      cancelledAt: null,
      validTo: addDays(TODAY, 10),
      subjectBirthDate: born(10),
      guardians: [{ id: G3, custody: false }],
      answers: [yes(G3)],
      at: AT,
    });
    expect(s).toEqual({ status: 'open', required: [], awaiting: [] });
  });
});
