import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { isoDate } from '../../lib/personnummer.js';
import { badRequest, conflict, forbidden, notFound } from '../../lib/problem.js';
import { uuidv7 } from '../../lib/uuid7.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import type { CasesService } from '../cases/cases.service.js';
import { requirePersonalIdentityNumber } from '../subjects/subjects.service.js';
import type { ConcernActor, ConcernsPolicy, ConcernView } from './concerns.policy.js';
import type { ConcernListQuery, ConcernOut, RaiseConcernBody, TriageBody } from './concerns.schemas.js';
import { CONCERN_LOCK_SQL, CONCERN_SQL, concernListSql, type ConcernRow } from './concerns.sql.js';

const RESOURCE = 'concern';

interface LockedConcern {
  id: string;
  reference: string;
  status: ConcernRow['status'];
  area: string;
  reporter_user_id: string;
  personal_identity_number: string | null;
  first_name: string | null;
  last_name: string | null;
  birth_date: string;
  observation: string;
  assessment: string;
}

/** The whole concern as stored; the decision point then shapes it for the caller's view. */
function concernOf(r: ConcernRow): ConcernOut {
  return {
    id: r.id,
    reference: r.reference,
    status: r.status,
    statusChangedAt: new Date(r.status_changed_at).toISOString(),
    createdAt: new Date(r.created_at).toISOString(),
    area: r.area,
    urgency: r.urgency,
    person: { personalIdentityNumber: r.personal_identity_number, firstName: r.first_name, lastName: r.last_name, birthDate: r.birth_date },
    observation: r.observation,
    observedOn: r.observed_on,
    observedPlace: r.observed_place,
    assessment: r.assessment,
    guardiansInformed: r.guardians_informed,
    reporter: {
      name: r.reporter_name,
      agencyName: r.reporter_agency_name,
      agencyKind: r.reporter_agency_kind,
      phone: r.reporter_phone,
      email: r.reporter_email,
    },
    reporterAgencyKind: r.reporter_agency_kind,
    decision: r.decision,
    decisionReason: r.decision_reason,
    caseId: r.case_id,
    marker: { hasCase: r.has_case, earlierConcerns: r.earlier_concerns },
    protectedIdentity: r.protected,
  };
}

/**
 * Concerns (orosanmälan): partners raise them, the intake of the area's social services reads
 * and triages them. Who sees which concern, and what of it, is the decision point's
 * (`concernAccess`, `shapeConcern`); this service fetches what it needs and carries out its answer.
 */
export class ConcernsService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly cases: CasesService,
  ) {}

  /** The caller with its agency's areas, as the concern rule sees it. */
  private async concernActor(em: EntityManager, actor: Actor): Promise<ConcernActor> {
    const [row] = await sql<{ areas: string[] }>(em, 'SELECT areas FROM agency WHERE id = ?', [actor.agencyId]);
    return { id: actor.id, roles: actor.roles, agencyKind: actor.agencyKind, areas: row?.areas ?? [] };
  }

  /** The new-concern form's choices: where the caller's agency works, in the order of policies/areas.yaml. */
  async options(em: EntityManager, actor: Actor): Promise<{ areas: string[]; urgencies: ConcernsPolicy['urgencies'] }> {
    const who = await this.concernActor(em, actor);
    const { policies } = this.app.policy;
    return { areas: policies.areas.areas.filter((a) => who.areas.includes(a)), urgencies: policies.concerns.urgencies };
  }

  private shape(view: ConcernView, row: ConcernRow): ConcernOut {
    return this.app.policy.shapeConcern(view, concernOf(row), row.protected) as ConcernOut;
  }

  async raise(em: EntityManager, actor: Actor, body: RaiseConcernBody, ctx: AuditContext, today = new Date()): Promise<ConcernOut> {
    const who = await this.concernActor(em, actor);
    const decision = this.app.policy.concernAccess(who, 'concern.raise', null);
    if (!decision.allow) {
      await this.app.audit.record(em, ctx, { action: 'concern.raise', resourceType: RESOURCE, outcome: 'denied', reason: decision.reason });
      throw forbidden();
    }
    const todayIso = isoDate(today);
    const p = body.person;
    const pin = p.personalIdentityNumber
      ? requirePersonalIdentityNumber(p.personalIdentityNumber, 'person', today, '/person/personalIdentityNumber')
      : null;
    if (!pin && !(p.firstName && p.lastName && p.birthDate))
      throw badRequest(
        'Say who the concern is about: a personal identity number, or first name, last name and birth date when the number is unknown.',
        'person_unidentified',
        [
          '/person/personalIdentityNumber',
          ...(['firstName', 'lastName', 'birthDate'] as const).filter((f) => !p[f]).map((f) => `/person/${f}`),
        ],
      );
    const birthDate = pin?.birthDate ?? p.birthDate!;
    if (birthDate > todayIso) throw badRequest('The birth date lies in the future; check it.', 'birth_date_in_future', '/person/birthDate');
    if (body.observedOn > todayIso)
      throw badRequest('The date of the observation lies in the future; give the day it happened.', 'observed_in_future', '/observedOn');
    const wanted = body.area.trim().toLocaleLowerCase('sv');
    const area = this.app.policy.policies.areas.areas.find((a) => a.toLocaleLowerCase('sv') === wanted);
    if (!area) throw badRequest('Unknown area: choose one of the configured areas.', 'unknown_area', '/area');
    if (!who.areas.includes(area))
      throw badRequest(
        "Choose one of the areas your agency works in; an administrator records your agency's areas.",
        'area_not_served',
        '/area',
      );
    if (!body.contact.phone && !body.contact.email)
      throw badRequest('Give a phone number or an e-mail address where social services can reach you.', 'contact_missing', [
        '/contact/phone',
        '/contact/email',
      ]);
    const id = randomUUID();
    return transaction(em, async (tx) => {
      await sql(
        tx,
        `INSERT INTO concern (id, reporter_user_id, reporter_agency_id, area, personal_identity_number, coordination_number, first_name, last_name,
           birth_date, observation, observed_on, observed_place, assessment, guardians_informed, reporter_phone, reporter_email, urgency, urgency_rank)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::date, ?, ?::date, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          actor.id,
          actor.agencyId,
          area,
          pin?.normalized ?? null,
          pin?.coordinationNumber ?? false,
          p.firstName?.trim() ?? null,
          p.lastName?.trim() ?? null,
          birthDate,
          body.observation.trim(),
          body.observedOn,
          body.observedPlace.trim(),
          body.assessment.trim(),
          body.guardiansInformed,
          body.contact.phone?.trim() ?? null,
          body.contact.email?.trim() ?? null,
          body.urgency,
          this.app.policy.policies.concerns.urgencies.indexOf(body.urgency),
        ],
      );
      await this.app.audit.record(tx, ctx, { action: 'concern.raise', resourceType: RESOURCE, resourceId: id, outcome: 'allowed' });
      const [row] = await sql<ConcernRow>(tx, CONCERN_SQL, [actor.agencyId, who.areas, id]);
      // The reporter's answer: the same view as every later read of its own concern.
      return this.shape('reporter', row!);
    });
  }

  /**
   * A page of the queue in ONE round trip: the scope's areas, the page with its marker, and its
   * audit events (the list, then a read of each concern shown) in one statement, committed before
   * the answer leaves; each concern then shaped by the decision point.
   */
  async list(
    em: EntityManager,
    actor: Actor,
    query: ConcernListQuery,
    ctx: AuditContext,
  ): Promise<{ view: ConcernView; items: ConcernOut[]; nextOffset: number | null }> {
    // A list's decision has no facts, so the rule does not look at the agency's areas (see
    // decideConcern); the statement reads them for the intake's scope.
    const decision = this.app.policy.concernAccess({ ...actor, areas: [] }, 'concern.list', null);
    if (!decision.allow) {
      await this.app.audit.record(em, ctx, { action: 'concern.list', resourceType: RESOURCE, outcome: 'denied', reason: decision.reason });
      throw notFound();
    }
    const view = decision.reason as ConcernView;
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const events: AuditEvent[] = [
      { action: 'concern.list', resourceType: RESOURCE, outcome: 'allowed', reason: view },
      { action: 'concern.read', resourceType: RESOURCE, outcome: 'allowed', reason: view },
    ];
    const audit = this.app.audit.insertStatement(ctx, events);
    const [page] = await sql<{ fetched: number; items: ConcernOut[] }>(em, concernListSql(view, query.status ?? 'open'), [
      actor.agencyId,
      actor.agencyId,
      actor.id,
      limit + 1,
      offset,
      `{${Array.from({ length: limit + 1 }, () => uuidv7()).join(',')}}`,
      ...audit.params,
      limit,
      limit,
    ]);
    return {
      view,
      items: page!.items.map((c) => this.app.policy.shapeConcern(view, c, c.protectedIdentity === true) as ConcernOut),
      nextOffset: page!.fetched > limit ? offset + limit : null,
    };
  }

  /**
   * One concern in the caller's view, or 404 (audited) when it is missing or not the caller's. The
   * intake's first read moves it from received to being assessed, in the read's transaction.
   */
  async read(em: EntityManager, actor: Actor, id: string, ctx: AuditContext): Promise<ConcernOut> {
    const who = await this.concernActor(em, actor);
    const shaped = await transaction(em, async (tx) => {
      const [row] = await sql<ConcernRow>(tx, CONCERN_SQL, [actor.agencyId, who.areas, id]);
      const decision = row
        ? this.app.policy.concernAccess(who, 'concern.read', { reporterUserId: row.reporter_user_id, area: row.area })
        : { allow: false, reason: 'not_found' };
      if (!row || !decision.allow) {
        await this.app.audit.record(tx, ctx, {
          action: 'concern.read',
          resourceType: RESOURCE,
          resourceId: id,
          outcome: 'denied',
          reason: decision.reason,
        });
        return null;
      }
      const view = decision.reason as ConcernView;
      const events: AuditEvent[] = [];
      if (view === 'intake' && row.status === 'received') {
        const [moved] = await sql<{ status_changed_at: Date }>(
          tx,
          `UPDATE concern SET status = 'being_assessed', status_changed_at = now(), assessed_by_user_id = ?
           WHERE id = ? AND status = 'received' RETURNING status_changed_at`,
          [actor.id, id],
        );
        if (moved) {
          row.status = 'being_assessed';
          row.status_changed_at = moved.status_changed_at;
          events.push({ action: 'concern.assess', resourceType: RESOURCE, resourceId: id, outcome: 'allowed' });
        }
      }
      events.push({ action: 'concern.read', resourceType: RESOURCE, resourceId: id, outcome: 'allowed', reason: view });
      await this.app.audit.record(tx, ctx, events);
      return this.shape(view, row);
    });
    // The denial's audit event is committed with the transaction; only then the 404.
    if (!shaped) throw notFound();
    return shaped;
  }

  /**
   * The intake's decision: link the concern to a case of the unit, open a case from it (the cases
   * service's own path: number, responsibility, audit), or proceed no further, with a reason. The
   * concern is closed in the same transaction as the decision and its audit event.
   */
  async triage(
    em: EntityManager,
    actor: Actor,
    id: string,
    body: TriageBody,
    ctx: AuditContext,
  ): Promise<{ concern: ConcernOut; caseId: string | null }> {
    if (body.decision === 'link' && !body.caseId)
      throw badRequest('Choose the case to link the concern to.', 'case_id_required', '/caseId');
    if (body.decision !== 'link' && body.caseId)
      throw badRequest('A case is chosen only when linking; leave it out for this decision.', 'case_id_not_expected', '/caseId');
    if (body.decision !== 'open_case' && (body.person || body.caseType))
      throw badRequest(
        'The person and the case type are given only when opening a case.',
        'open_case_fields_not_expected',
        body.person ? '/person' : '/caseType',
      );
    const who = await this.concernActor(em, actor);
    // Decided before any case is touched: a caller who may not triage learns nothing of the case.
    const [facts] = await sql<{ reporter_user_id: string; area: string }>(em, 'SELECT reporter_user_id, area FROM concern WHERE id = ?', [
      id,
    ]);
    const decision = facts
      ? this.app.policy.concernAccess(who, 'concern.triage', { reporterUserId: facts.reporter_user_id, area: facts.area })
      : { allow: false, reason: 'not_found' };
    if (!facts || !decision.allow) {
      await this.app.audit.record(em, ctx, {
        action: 'concern.triage',
        resourceType: RESOURCE,
        resourceId: id,
        outcome: 'denied',
        reason: decision.reason,
      });
      throw notFound();
    }
    const decide = async (tx: EntityManager, caseId: string | null, subjectId: string | null): Promise<void> => {
      await sql(
        tx,
        `UPDATE concern SET status = 'closed', status_changed_at = now(), decision = ?, decision_reason = ?, case_id = ?,
           decided_by_user_id = ?, decided_at = now(), assessed_by_user_id = coalesce(assessed_by_user_id, ?) WHERE id = ?`,
        [body.decision, body.reason.trim(), caseId, actor.id, actor.id, id],
      );
      await this.app.audit.record(tx, ctx, {
        action: 'concern.triage',
        resourceType: RESOURCE,
        resourceId: id,
        caseId,
        subjectId,
        outcome: 'allowed',
        reason: body.decision,
      });
    };
    let caseId: string | null = null;
    if (body.decision === 'link') {
      caseId = body.caseId!;
      // Through the one door to cases: a case the caller may not change answers 404, audited.
      await this.app.caseAccess.write(em, actor, caseId, 'case.update', ctx, async (tx, access) => {
        await this.lockOpen(tx, id);
        await decide(tx, caseId, access.facts.subjectId);
      });
    } else {
      caseId = await transaction(em, async (tx) => {
        const c = await this.lockOpen(tx, id);
        if (body.decision === 'no_action') {
          await decide(tx, null, null);
          return null;
        }
        const created = await this.cases.createCase(tx, actor, this.caseFrom(c, body), ctx);
        await decide(tx, created.id, created.subject.id);
        return created.id;
      });
    }
    const [row] = await sql<ConcernRow>(em, CONCERN_SQL, [actor.agencyId, who.areas, id]);
    return { concern: this.shape('intake', row!), caseId };
  }

  private async lockOpen(tx: EntityManager, id: string): Promise<LockedConcern> {
    const [c] = await sql<LockedConcern>(tx, CONCERN_LOCK_SQL, [id]);
    if (!c) throw notFound();
    if (c.status === 'closed') throw conflict('This concern has already been triaged.', 'concern_closed');
    return c;
  }

  /** The new case's fields, carried over from the concern (and what the intake adds to it). */
  private caseFrom(c: LockedConcern, body: TriageBody): Parameters<CasesService['createCase']>[2] {
    const pin = body.person?.personalIdentityNumber ?? c.personal_identity_number;
    const firstName = body.person?.firstName ?? c.first_name;
    const lastName = body.person?.lastName ?? c.last_name;
    const missing = [
      ...(pin ? [] : ['/person/personalIdentityNumber']),
      ...(firstName ? [] : ['/person/firstName']),
      ...(lastName ? [] : ['/person/lastName']),
    ];
    if (missing.length > 0)
      throw badRequest(
        'A case needs the personal identity number and the name: add what the concern lacks, or link it to an existing case.',
        'person_incomplete',
        missing,
      );
    const reason = `${c.reference}\n${c.observation}\n\n${c.assessment}`.slice(0, 5000);
    return {
      type: body.caseType ?? 'sspf',
      area: c.area,
      reason,
      subject: { personalIdentityNumber: pin!, firstName: firstName!, lastName: lastName! },
    };
  }
}
