import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import { badRequest, conflict, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { CaseView } from '../../plugins/app/disclosure.js';
import type { Actor } from '../../types.js';
import { loadCaseDetail, type CaseDetail } from '../cases/case-read.js';
import type { MeetingOut } from '../cases/cases.schemas.js';
import { MEETING_JSON, ts, uuidArray } from '../cases/cases.sql.js';
import { stockholmDate } from '../consents/calendar.js';
import type { ConsentMethodKind, GivenByKind } from '../consents/consents.entities.js';
import type { PrintedCase } from './case.layout.js';
import { consentFormPdf, receiptPdf, verificationCode, type PrintedConsentPerson, type PrintedScope } from './consent.layout.js';
import { invitationPdf } from './invitation.layout.js';
import { minutesPdf } from './minutes.layout.js';
import { planPdf } from './plan.layout.js';
import type { ConsentFormBody } from './printouts.schemas.js';
import { identityNumber, isAdult, stockholmDateTime } from './words.sv.js';

type MeetingOutT = Static<typeof MeetingOut>;

/** A rendered printout and the name of its file (a case number or a generic word: never personal data). */
export interface Printed {
  pdf: Buffer;
  filename: string;
}

/** Options of the rendering (tests of the layer may turn compression off). */
export interface RenderOptions {
  compress?: boolean;
}

interface ConsentPrintRow {
  case_id: string;
  given_by_kind: GivenByKind;
  guardian_id: string | null;
  method: ConsentMethodKind;
  agency_ids: string[];
  categories: string[];
  purpose: string;
  valid_from: string;
  valid_to: string;
  recorded_at: string;
  withdrawn_at: string | null;
  receipt_id: string | null;
  signature: string | null;
}

/** The case number once cases carry one (`caseNumber`); null before, or when the caller may not see it. */
const caseNumberOf = (x: object): string | null => ('caseNumber' in x && typeof x.caseNumber === 'string' ? x.caseNumber : null);
/** `<case number>[-<what>].pdf`, or `<what>.pdf` without a case number: a plan is named by its case alone. */
const fileName = (caseNumber: string | null, what: string, named = true): string =>
  `${(caseNumber ? (named ? `${caseNumber}-${what}` : caseNumber) : what).replace(/[^A-Za-z0-9-]/g, '_')}.pdf`;
const personName = (s: { firstName: string; lastName: string }): string => `${s.firstName} ${s.lastName}`.trim();

/**
 * Printouts as PDFs. A PDF is just another answer: each is built only from the read model the
 * decision point shaped for the caller (`loadCaseDetail`, `app.policy.shape`/`shapeItems`), and
 * the read is recorded with `app.consents.recordRead` (its audit event and disclosure-ledger
 * rows) before the document is returned. Agencies are named only when the read's view says the
 * caller may know of them.
 */
export class PrintoutsService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly render: RenderOptions = {},
  ) {}

  /** Names of the agencies the caller may know of, by id (others are left out). */
  private async agencyNames(em: EntityManager, view: CaseView, ids: readonly (string | null | undefined)[]): Promise<Map<string, string>> {
    const known = [...new Set(ids.filter((id): id is string => typeof id === 'string' && view.knows(id)))];
    if (known.length === 0) return new Map();
    const rows = await sql<{ id: string; name: string }>(em, 'SELECT id, name FROM agency WHERE id = ANY(?::uuid[])', [uuidArray(known)]);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  private footer(actor: Actor): string {
    return `Utskriven ${stockholmDateTime(new Date())} av ${actor.agencyName}. Innehåller uppgifter som omfattas av sekretess.`;
  }

  private printedCase(
    c: Pick<CaseDetail, 'type' | 'status' | 'phase' | 'ownerAgencyId' | 'subject'>,
    caseNumber: string | null,
    names: Map<string, string>,
  ): PrintedCase {
    return {
      caseNumber,
      type: c.type,
      status: c.status,
      phase: c.phase,
      person: {
        name: personName(c.subject),
        identityNumber: identityNumber(c.subject.personalIdentityNumber),
        coordinationNumber: c.subject.coordinationNumber === true,
        birthDate: c.subject.birthDate,
        protectedIdentity: c.subject.protectedIdentity !== 'none',
        adult: isAdult(c.subject.birthDate),
      },
      ownerAgency: names.get(c.ownerAgencyId) ?? null,
    };
  }

  /** The plan (åtagandeplan) for the network meeting, as the caller may see the case. */
  async plan(em: EntityManager, actor: Actor, caseId: string, ctx: AuditContext): Promise<Printed> {
    const { access, detail, view } = await loadCaseDetail(this.app, em, actor, caseId, 'case.read', ctx);
    const shaped = this.app.policy.shape<CaseDetail>('case', detail, view);
    const names = await this.agencyNames(em, view, [
      shaped.ownerAgencyId,
      ...shaped.planItems.flatMap((i) => [i.responsibleAgencyId, ...i.followUps.map((f) => f.authorAgencyId)]),
    ]);
    const caseNumber = caseNumberOf(shaped);
    const pdf = await planPdf(
      {
        case: this.printedCase(shaped, caseNumber, names),
        reason: shaped.reason,
        agencies: [
          ...(names.has(shaped.ownerAgencyId) ? [{ name: names.get(shaped.ownerAgencyId)!, owner: true }] : []),
          ...shaped.participants.map((p) => ({ name: p.name, owner: false })),
        ],
        items: shaped.planItems.map((i) => ({
          lifeArea: i.lifeArea,
          goal: i.goal,
          action: i.action,
          responsible: i.responsibleAgencyId ? (names.get(i.responsibleAgencyId) ?? null) : null,
          dueDate: i.dueDate,
          status: i.status,
          followUps: i.followUps.map((f) => ({
            date: stockholmDate(new Date(f.createdAt)),
            author: [f.authorName, names.get(f.authorAgencyId)].filter(Boolean).join(', ') || 'okänd',
            note: f.note,
          })),
        })),
        withheld: view.withheld,
        footer: this.footer(actor),
      },
      this.render,
    );
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      this.app.caseAccess.event(access, 'case.print.plan', 'case', caseId),
      view,
    );
    return { pdf, filename: fileName(caseNumber, 'atagandeplan', false) };
  }

  /**
   * One meeting of a case as the caller may see it, with the case's heading (and its network):
   * 404 (audited under `action`) when the case, or the meeting, is not the caller's to see.
   */
  private async meetingRead(em: EntityManager, actor: Actor, caseId: string, meetingId: string, ctx: AuditContext, action: string) {
    const { access, detail, view } = await loadCaseDetail(this.app, em, actor, caseId, 'case.read', ctx);
    // Only the case's heading is shaped (and so disclosed): a meeting's printout shows nothing else of it.
    const { type, status, phase, ownerAgencyId, subject, network } = detail;
    const heading = this.app.policy.shape(
      'case',
      {
        type,
        status,
        phase,
        ownerAgencyId,
        subject: { ...subject, guardians: [] },
        network,
        ...('caseNumber' in detail ? { caseNumber: detail.caseNumber } : {}),
      },
      view,
    );
    const [row] = await sql<{ j: MeetingOutT }>(em, `SELECT ${MEETING_JSON} AS j FROM meeting m WHERE m.id = ? AND m.case_id = ?`, [
      meetingId,
      caseId,
    ]);
    const [meeting] = row ? this.app.policy.shapeItems<MeetingOutT>('meeting', [row.j], view) : [];
    if (!meeting) {
      await this.app.audit.record(em, ctx, {
        ...this.app.caseAccess.event(access, action, 'meeting', meetingId),
        outcome: 'denied',
        reason: row ? 'withheld' : 'not_in_case',
      });
      throw notFound();
    }
    const names = await this.agencyNames(em, view, [heading.ownerAgencyId, meeting.authorAgencyId, ...meeting.agencyIds]);
    return { access, view, heading, meeting, names, caseNumber: caseNumberOf(heading) };
  }

  /** The minutes of one network meeting, if the caller may see that meeting (else 404, audited). */
  async minutes(em: EntityManager, actor: Actor, caseId: string, meetingId: string, ctx: AuditContext): Promise<Printed> {
    const { access, view, heading, meeting, names, caseNumber } = await this.meetingRead(
      em,
      actor,
      caseId,
      meetingId,
      ctx,
      'case.print.minutes',
    );
    const pdf = await minutesPdf(
      {
        case: this.printedCase(heading, caseNumber, names),
        date: meeting.date,
        agencies: meeting.agencyIds.map((a) => names.get(a)).filter((n): n is string => n !== undefined),
        people: meeting.people,
        agenda: meeting.agenda,
        minutes: meeting.minutes,
        decisions: meeting.decisions.map((d) => ({ text: d.text, becamePlanItem: d.planItemId !== null })),
        author: [meeting.authorName, names.get(meeting.authorAgencyId)].filter(Boolean).join(', ') || 'okänd',
        footer: this.footer(actor),
      },
      this.render,
    );
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      this.app.caseAccess.event(access, 'case.print.minutes', 'meeting', meetingId),
      view,
    );
    return { pdf, filename: fileName(caseNumber, `minnesanteckningar-${meeting.date}`) };
  }

  /** The invitation to one network meeting, if the caller may see that meeting (else 404, audited). */
  async invitation(em: EntityManager, actor: Actor, caseId: string, meetingId: string, ctx: AuditContext): Promise<Printed> {
    const { access, view, heading, meeting, names, caseNumber } = await this.meetingRead(
      em,
      actor,
      caseId,
      meetingId,
      ctx,
      'case.print.invitation',
    );
    // The contact the caller may see for the agency that called the meeting (the network, shaped).
    const contact = heading.network.find((n) => n.agencyId === meeting.authorAgencyId);
    const time = (at: string | null): string | null => (at ? stockholmDateTime(new Date(at)).slice(-5) : null);
    const start = time(meeting.startsAt);
    const end = time(meeting.endsAt);
    const pdf = await invitationPdf(
      {
        case: this.printedCase(heading, caseNumber, names),
        date: meeting.startsAt ? stockholmDateTime(new Date(meeting.startsAt)).slice(0, 10) : meeting.date,
        time: start ? `kl. ${start}${end ? `–${end}` : ''}` : null,
        place: meeting.place,
        cancelled: meeting.status === 'cancelled',
        agencies: meeting.agencyIds.map((a) => names.get(a)).filter((n): n is string => n !== undefined),
        invitees: meeting.invitees,
        agenda: meeting.agenda,
        organiser: [meeting.authorName, names.get(meeting.authorAgencyId)].filter(Boolean).join(', ') || 'okänd',
        contact: contact
          ? [contact.contactName, contact.contactRole, contact.contactPhone, contact.contactEmail].filter(Boolean).join(', ') || null
          : null,
        footer: this.footer(actor),
      },
      this.render,
    );
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      this.app.caseAccess.event(access, 'case.print.invitation', 'meeting', meetingId),
      view,
    );
    return { pdf, filename: fileName(caseNumber, `kallelse-${meeting.date}`) };
  }

  /** The consent receipt as a document to keep: the owning unit only (else 404, audited). */
  async receipt(em: EntityManager, actor: Actor, consentId: string, ctx: AuditContext): Promise<Printed> {
    const [c] = await sql<ConsentPrintRow>(
      em,
      `SELECT c.case_id, c.given_by_kind, c.guardian_id, c.method, c.agency_ids::text[] AS agency_ids, c.categories, c.purpose,
              c.valid_from::text AS valid_from, c.valid_to::text AS valid_to, ${ts('c.recorded_at')} AS recorded_at, ${ts('c.withdrawn_at')} AS withdrawn_at, r.id AS receipt_id, r.signature
       FROM consent c LEFT JOIN consent_receipt r ON r.consent_id = c.id WHERE c.id = ?`,
      [consentId],
    );
    if (!c) {
      await this.app.audit.record(em, ctx, {
        action: 'consent.print.receipt',
        resourceType: 'consent',
        resourceId: consentId,
        outcome: 'denied',
        reason: 'not_found',
      });
      throw notFound();
    }
    // 'consent.read' is no gated action: the decision point lets only the owning unit through.
    const { access, detail, view } = await loadCaseDetail(this.app, em, actor, c.case_id, 'consent.read', ctx);
    if (!c.receipt_id || !c.signature) throw notFound();
    const shaped = this.app.policy.shape<CaseDetail>('case', detail, view);
    const names = await this.agencyNames(em, view, [shaped.ownerAgencyId, ...c.agency_ids]);
    const caseNumber = caseNumberOf(shaped);
    const pdf = await receiptPdf(
      {
        person: this.consentPerson(shaped),
        caseNumber,
        ownerAgency: names.get(shaped.ownerAgencyId) ?? actor.agencyName,
        givenBy: this.party(shaped, c.given_by_kind, c.guardian_id),
        method: c.method,
        recordedAt: stockholmDateTime(new Date(c.recorded_at)),
        scope: this.scope(names, c.agency_ids, c),
        withdrawnAt: c.withdrawn_at ? stockholmDateTime(new Date(c.withdrawn_at)) : null,
        receiptId: c.receipt_id,
        verificationCode: verificationCode(c.signature),
        footer: this.footer(actor),
      },
      this.render,
    );
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      this.app.caseAccess.event(access, 'consent.print.receipt', 'consent_receipt', c.receipt_id),
      view,
    );
    return { pdf, filename: fileName(caseNumber, 'samtyckeskvitto') };
  }

  /** A consent form to sign, pre-filled with exactly the scope asked for: the owning unit only. */
  async consentForm(em: EntityManager, actor: Actor, caseId: string, body: ConsentFormBody, ctx: AuditContext): Promise<Printed> {
    // 'consent.record' is no gated action: the decision point lets only the owning unit through.
    const { access, detail, view } = await loadCaseDetail(this.app, em, actor, caseId, 'consent.record', ctx);
    if (detail.status === 'closed') throw conflict('The case is closed. Reopen it before asking for a consent.', 'case_closed');
    this.app.consents.validateScope(body);
    const shaped = this.app.policy.shape<CaseDetail>('case', detail, view);
    // Guardians sign for a minor; an adult signs alone.
    const adult = isAdult(shaped.subject.birthDate);
    if (adult && body.givenBy.kind === 'guardian') {
      throw badRequest(
        'The person is 18 or older and consents alone; a guardian does not sign for an adult.',
        'guardian_for_adult',
        '/givenBy',
      );
    }
    if (
      body.givenBy.kind === 'guardian' &&
      !shaped.subject.guardians.some((g) => g.id === (body.givenBy as { guardianId: string }).guardianId)
    ) {
      throw badRequest("The guardian is not one of the subject's guardians on record.", 'unknown_guardian', '/givenBy/guardianId');
    }
    const names = await this.agencyNames(em, view, [shaped.ownerAgencyId, ...body.agencyIds]);
    const unknown = body.agencyIds.findIndex((a) => !names.has(a));
    if (unknown >= 0) throw badRequest('An agency does not exist; check the agency ids.', 'unknown_agency', `/agencyIds/${unknown}`);
    const caseNumber = caseNumberOf(shaped);
    const pdf = await consentFormPdf(
      {
        person: this.consentPerson(shaped),
        caseNumber,
        ownerAgency: names.get(shaped.ownerAgencyId) ?? actor.agencyName,
        guardians: adult ? [] : shaped.subject.guardians.filter((g) => g.custody).map(personName),
        givenBy: this.party(shaped, body.givenBy.kind, body.givenBy.kind === 'guardian' ? body.givenBy.guardianId : null),
        scope: this.scope(names, body.agencyIds, {
          categories: body.categories,
          purpose: body.purpose.trim(),
          valid_from: body.validFrom,
          valid_to: body.validTo,
        }),
        footer: this.footer(actor),
      },
      this.render,
    );
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      this.app.caseAccess.event(access, 'consent.print.form', 'case', caseId),
      view,
    );
    return { pdf, filename: fileName(caseNumber, 'samtycke') };
  }

  private consentPerson(c: CaseDetail): PrintedConsentPerson {
    return {
      name: personName(c.subject),
      identityNumber: identityNumber(c.subject.personalIdentityNumber),
      coordinationNumber: c.subject.coordinationNumber === true,
      adult: isAdult(c.subject.birthDate),
    };
  }

  private party(c: CaseDetail, kind: GivenByKind, guardianId: string | null): { name: string; guardian: boolean } {
    if (kind === 'subject') return { name: personName(c.subject), guardian: false };
    const g = c.subject.guardians.find((x) => x.id === guardianId);
    return { name: g ? personName(g) : 'En vårdnadshavare som inte längre finns i ärendet', guardian: true };
  }

  private scope(
    names: Map<string, string>,
    agencyIds: readonly string[],
    s: { categories: string[]; purpose: string; valid_from: string; valid_to: string },
  ): PrintedScope {
    return {
      agencies: agencyIds.map((a) => names.get(a) ?? 'En aktör som inte längre finns'),
      categories: s.categories,
      purpose: s.purpose,
      validFrom: s.valid_from,
      validTo: s.valid_to,
    };
  }
}
