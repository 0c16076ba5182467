import { stockholmDate } from '../consents/calendar.js';
import { prepareGate, type GateGuardian, type GateRules, type Party } from '../consents/gate.js';

/**
 * A consent request's status, as a pure function of the request, its answers and who must answer.
 * Who must answer is exactly who the gate requires a consent from (`policies/consent.yaml` by the
 * subject's age on the day): the request is accepted when the gate would open for its scope.
 */

export type RequestStatus = 'open' | 'accepted' | 'declined' | 'expired' | 'cancelled';
export type AnswerDecision = 'accept' | 'decline';

export interface RequestAnswerFact {
  answeredByKind: Party['kind'];
  guardianId: string | null;
  decision: AnswerDecision;
}

export interface RequestFacts {
  expiresAt: Date;
  cancelledAt: Date | null;
  /** The last day of the consent's period: a request whose period has ended can no longer be answered. */
  validTo: string;
  /** ISO date; null when unknown (then nobody can be required, and the request cannot be accepted). */
  subjectBirthDate: string | null;
  guardians: readonly GateGuardian[];
  answers: readonly RequestAnswerFact[];
  at: Date;
}

export interface RequestState {
  status: RequestStatus;
  /** The parties whose answer is required on the day (the gate's required parties). */
  required: readonly Party[];
  /** While open: the required parties who have not answered yet. */
  awaiting: readonly Party[];
}

/** Who must answer on the day: the consent gate's required parties (empty when none can be determined). */
export function requiredAnswerers(rules: GateRules, f: Pick<RequestFacts, 'subjectBirthDate' | 'guardians' | 'at'>): readonly Party[] {
  return prepareGate(rules, { subjectBirthDate: f.subjectBirthDate, guardians: f.guardians, consents: [], at: f.at }).requiredParties;
}

export const sameParty = (p: Party, kind: Party['kind'], guardianId: string | null): boolean =>
  p.kind === kind && (p.kind === 'subject' || p.guardianId === guardianId);

export function requestStatus(rules: GateRules, f: RequestFacts): RequestState {
  const required = requiredAnswerers(rules, f);
  const answerOf = (p: Party): AnswerDecision | undefined => f.answers.find((a) => sameParty(p, a.answeredByKind, a.guardianId))?.decision;
  const closed = (status: RequestStatus): RequestState => ({ status, required, awaiting: [] });
  if (f.cancelledAt && f.cancelledAt.getTime() <= f.at.getTime()) return closed('cancelled');
  if (required.some((p) => answerOf(p) === 'decline')) return closed('declined');
  if (required.length > 0 && required.every((p) => answerOf(p) === 'accept')) return closed('accepted');
  if (f.expiresAt.getTime() <= f.at.getTime() || f.validTo < stockholmDate(f.at)) return closed('expired');
  return { status: 'open', required, awaiting: required.filter((p) => answerOf(p) === undefined) };
}
