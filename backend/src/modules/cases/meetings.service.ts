import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from '../../db/sql.js';
import { badRequest, conflict, notFound } from '../../lib/problem.js';
import type { AuditContext, AuditEvent } from '../../plugins/app/audit.js';
import type { ExchangedItem, Withheld } from '../../plugins/app/disclosure.js';
import type { Actor } from '../../types.js';
import { addDays, stockholmDate } from '../consents/calendar.js';
import type { CaseAccess, CaseAccessService } from './case-access.js';
import { DEEPEST_ROW, requireCaseAgency, requirePageWithin } from './case-checks.js';
import type { MeetingBody, MeetingOut, PageQuery } from './cases.schemas.js';
import { MEETING_JSON, PLAN_ITEM_JSON, ts, uuidArray } from './cases.sql.js';
import type { PageOf } from './journal.service.js';
import { meetingInvite } from './meetings.ics.js';
import { CALENDAR_MAX_DAYS, type CalendarItemOut, type CalendarQuery, type UpdateMeetingBody } from './meetings.schemas.js';
import type { PlanService } from './plan.service.js';

type MeetingOutT = Static<typeof MeetingOut>;
type CalendarItemT = Static<typeof CalendarItemOut>;
type Decisions = NonNullable<MeetingBody['decisions']>;

const DENIED = Symbol('denied');
/** The most meetings one calendar answer holds (62 days of a large agency's cases). */
const CALENDAR_MAX_ROWS = 1000;
/** The host part of an invitation's UID: the meeting's id is unique by itself. */
const UID_HOST = 'samverka';

const json = (v: readonly string[] | undefined): string | null => (v === undefined ? null : JSON.stringify(v.map((p) => p.trim())));

/** The start must come before the end; a meeting has both times or neither. */
function requireTimes(startsAt: string | null, endsAt: string | null, at: string): void {
  if ((startsAt === null) !== (endsAt === null))
    throw badRequest('Give both the start and the end time of the meeting.', 'meeting_time_required', at);
  if (startsAt !== null && endsAt !== null && Date.parse(endsAt) <= Date.parse(startsAt)) {
    throw badRequest('The meeting ends before it starts: choose an end time after the start time.', 'meeting_ends_before_start', '/endsAt');
  }
}

function requireFuture(startsAt: string, now: Date): void {
  if (Date.parse(startsAt) < now.getTime())
    throw badRequest(
      'A planned meeting cannot start in the past: choose a later time, or record it as held.',
      'meeting_in_past',
      '/startsAt',
    );
}

const SNAPSHOT_SQL = `UPDATE meeting SET plan_snapshot = (SELECT coalesce(jsonb_agg(${PLAN_ITEM_JSON} ORDER BY pi.created_at, pi.id), '[]'::jsonb)
  FROM plan_item pi WHERE pi.case_id = meeting.case_id) WHERE id = ?`;

/** Params: starts, ends, date, place, agencies, invitees ×2, agenda, status, minutes, attended agencies, attended people ×2, moved, id. */
const UPDATE_MEETING_SQL = `UPDATE meeting SET starts_at = ?::timestamptz, ends_at = ?::timestamptz, date = coalesce(?::date, date), place = coalesce(?, place),
    agency_ids = coalesce(?::uuid[], agency_ids),
    invitees = CASE WHEN ?::json IS NULL THEN invitees ELSE ARRAY(SELECT json_array_elements_text(?::json)) END,
    agenda = coalesce(?, agenda), status = ?, minutes = coalesce(?, minutes),
    attended_agency_ids = coalesce(?::uuid[], attended_agency_ids),
    attended_people = CASE WHEN ?::json IS NULL THEN attended_people ELSE ARRAY(SELECT json_array_elements_text(?::json)) END,
    sequence = sequence + CASE WHEN ?::boolean THEN 1 ELSE 0 END, updated_at = now()
  WHERE id = ?`;

/**
 * Network meetings of a case: planned (time, place, invitations), moved or cancelled until held,
 * then held (attendance, minutes, decisions — a decision may add an action to the plan, through
 * PlanService — and the plan as it stood). A calendar across the caller's cases, and invitations.
 */
export class MeetingsService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly access: CaseAccessService,
    private readonly plan: PlanService,
  ) {}

  async createMeeting(em: EntityManager, actor: Actor, caseId: string, body: MeetingBody, ctx: AuditContext): Promise<MeetingOutT> {
    // Recorded after the fact (minutes given), as before meetings could be planned: held.
    const status = body.status ?? (body.minutes !== undefined ? 'held' : 'planned');
    const startsAt = body.startsAt ?? null;
    const endsAt = body.endsAt ?? null;
    if (status === 'cancelled')
      throw badRequest('A new meeting is planned or held; cancel a planned meeting with PATCH.', 'meeting_status_invalid', '/status');
    requireTimes(startsAt, endsAt, startsAt === null ? '/startsAt' : '/endsAt');
    if (status === 'planned') {
      if (startsAt === null) throw badRequest('A planned meeting needs its start and end time.', 'meeting_time_required', '/startsAt');
      requireFuture(startsAt, new Date());
      if (body.minutes !== undefined || body.decisions !== undefined) {
        throw badRequest(
          'Minutes and decisions belong to a held meeting: plan the meeting without them, and add them when it is held.',
          'meeting_not_held',
          body.minutes !== undefined ? '/minutes' : '/decisions',
        );
      }
    } else if (body.minutes === undefined) {
      throw badRequest('A held meeting needs its minutes.', 'meeting_minutes_required', '/minutes');
    }
    const date = startsAt !== null ? stockholmDate(new Date(startsAt)) : body.date;
    if (date === undefined) throw badRequest('Give the meeting a date, or its start and end time.', 'meeting_date_required', '/date');
    if (body.date !== undefined && body.date !== date)
      throw badRequest(
        'The date is not the day the meeting starts: leave it out, or make the two agree.',
        'meeting_date_mismatch',
        '/date',
      );

    return this.access.write(em, actor, caseId, 'case.meeting.write', ctx, async (tx, access) => {
      body.agencyIds.forEach((a, i) => requireCaseAgency(access.facts, a, 'meeting agencies', `/agencyIds/${i}`));
      const id = randomUUID();
      const held = status === 'held';
      await sql(
        tx,
        `INSERT INTO meeting (id, case_id, author_user_id, author_agency_id, date, agency_ids, people, agenda, minutes, status, starts_at, ends_at, place, invitees,
           attended_agency_ids, attended_people)
         VALUES (?, ?, ?, ?, ?::date, ?::uuid[], ARRAY(SELECT json_array_elements_text(?::json)), ?, ?, ?, ?::timestamptz, ?::timestamptz, ?,
           ARRAY(SELECT json_array_elements_text(?::json)), ?::uuid[], ARRAY(SELECT json_array_elements_text(?::json)))`,
        [
          id,
          caseId,
          actor.id,
          actor.agencyId,
          date,
          uuidArray(body.agencyIds),
          json(body.people ?? []),
          body.agenda,
          body.minutes ?? '',
          status,
          startsAt,
          endsAt,
          body.place?.trim() ?? null,
          json(body.invitees ?? []),
          // A meeting recorded after the fact: those named were there.
          held ? uuidArray(body.agencyIds) : null,
          held ? json(body.people ?? []) : null,
        ],
      );
      const events: AuditEvent[] = [this.access.event(access, 'meeting.create', 'meeting', id)];
      if (held) await this.hold(tx, actor, access, id, body.decisions ?? [], events);
      await this.app.audit.record(tx, ctx, events);
      return this.meeting(tx, id);
    });
  }

  /** Moves, cancels or holds a planned meeting (409 once it is held or cancelled). */
  async updateMeeting(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    meetingId: string,
    body: UpdateMeetingBody,
    ctx: AuditContext,
  ): Promise<MeetingOutT> {
    const result = await this.access.write(em, actor, caseId, 'case.meeting.write', ctx, async (tx, access) => {
      const [m] = await sql<{ status: string; startsAt: string | null; endsAt: string | null }>(
        tx,
        `SELECT status, ${ts('starts_at')} AS "startsAt", ${ts('ends_at')} AS "endsAt" FROM meeting WHERE id = ? AND case_id = ? FOR UPDATE`,
        [meetingId, caseId],
      );
      if (!m) {
        // A meeting of another case (or none): audited like any other refusal, answered 404.
        await this.app.audit.record(tx, ctx, {
          ...this.access.event(access, 'meeting.update', 'meeting', meetingId),
          outcome: 'denied',
          reason: 'not_in_case',
        });
        return DENIED;
      }
      if (m.status === 'held')
        throw conflict(
          'This meeting has been held: its time, place and minutes are the record of it and no longer change.',
          'meeting_held',
        );
      if (m.status === 'cancelled') throw conflict('This meeting is cancelled: plan a new meeting instead.', 'meeting_cancelled');
      const status = body.status ?? 'planned';
      const events: AuditEvent[] = [];
      if (status === 'cancelled') {
        const other = Object.keys(body).find((k) => k !== 'status');
        if (other) throw badRequest('Cancel a meeting on its own, without other changes.', 'meeting_cancel_alone', `/${other}`);
        await sql(tx, "UPDATE meeting SET status = 'cancelled', sequence = sequence + 1, updated_at = now() WHERE id = ?", [meetingId]);
        events.push(this.access.event(access, 'meeting.cancel', 'meeting', meetingId));
      } else {
        const held = status === 'held';
        if (!held && (body.minutes !== undefined || body.decisions !== undefined || body.attendance !== undefined)) {
          const at = body.minutes !== undefined ? '/minutes' : body.decisions !== undefined ? '/decisions' : '/attendance';
          throw badRequest(
            'Minutes, decisions and attendance belong to a held meeting: send them with status "held".',
            'meeting_not_held',
            at,
          );
        }
        if (held && body.minutes === undefined)
          throw badRequest('A held meeting needs its minutes.', 'meeting_minutes_required', '/minutes');
        if (held && body.attendance === undefined)
          throw badRequest('Say which agencies came to the meeting.', 'meeting_attendance_required', '/attendance');
        const startsAt = body.startsAt ?? m.startsAt;
        const endsAt = body.endsAt ?? m.endsAt;
        requireTimes(startsAt, endsAt, body.startsAt === undefined ? '/startsAt' : '/endsAt');
        if (!held && body.startsAt !== undefined) requireFuture(body.startsAt, new Date());
        body.agencyIds?.forEach((a, i) => requireCaseAgency(access.facts, a, 'meeting agencies', `/agencyIds/${i}`));
        body.attendance?.agencyIds.forEach((a, i) => requireCaseAgency(access.facts, a, 'agencies present', `/attendance/agencyIds/${i}`));
        const moved = body.startsAt !== undefined || body.endsAt !== undefined || body.place !== undefined;
        const invitees = json(body.invitees);
        const attended = json(body.attendance ? (body.attendance.people ?? []) : undefined);
        await sql(tx, UPDATE_MEETING_SQL, [
          startsAt,
          endsAt,
          startsAt === null ? null : stockholmDate(new Date(startsAt)),
          body.place?.trim() ?? null,
          body.agencyIds ? uuidArray(body.agencyIds) : null,
          invitees,
          invitees,
          body.agenda ?? null,
          status,
          body.minutes ?? null,
          body.attendance ? uuidArray(body.attendance.agencyIds) : null,
          attended,
          attended,
          moved,
          meetingId,
        ]);
        events.push(this.access.event(access, held ? 'meeting.hold' : 'meeting.update', 'meeting', meetingId));
        if (held) await this.hold(tx, actor, access, meetingId, body.decisions ?? [], events);
      }
      await this.app.audit.record(tx, ctx, events);
      return { value: await this.meeting(tx, meetingId) };
    });
    if (result === DENIED) throw notFound();
    return result.value;
  }

  /** Network meetings the caller may see (decided like entries by the decision point), latest first. */
  async listMeetings(
    em: EntityManager,
    actor: Actor,
    caseId: string,
    page: PageQuery,
    ctx: AuditContext,
  ): Promise<PageOf<MeetingOutT> & { withheld: Withheld[] }> {
    requirePageWithin(page, DEEPEST_ROW);
    const access = await this.access.load(em, actor, caseId, 'case.read', ctx);
    const groups = await sql<{ authorAgencyId: string; category: string; n: number }>(
      em,
      'SELECT author_agency_id AS "authorAgencyId", category, count(*)::int AS n FROM meeting WHERE case_id = ? GROUP BY 1, 2',
      [caseId],
    );
    const view = await this.access.view(em, actor, access);
    const allowed = view.allowedGroups(groups);
    const items =
      allowed.length === 0
        ? []
        : await sql<{ j: MeetingOutT }>(
            em,
            `SELECT ${MEETING_JSON} AS j FROM meeting m
       WHERE m.case_id = ? AND (m.author_agency_id, m.category) IN (SELECT * FROM unnest(?::uuid[], ?::text[]))
       ORDER BY m.date DESC, m.created_at DESC LIMIT ? OFFSET ?`,
            [
              caseId,
              uuidArray(allowed.map((g) => g.authorAgencyId)),
              `{${allowed.map((g) => g.category).join(',')}}`,
              page.pageSize,
              (page.page - 1) * page.pageSize,
            ],
          );
    const shown = this.app.policy.shapeItems(
      'meeting',
      items.map((r) => r.j),
      view,
    );
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      { ...this.access.event(access, 'meeting.list', 'meeting', caseId), resourceId: null },
      view,
    );
    return { items: shown, total: allowed.reduce((n, g) => n + g.n, 0), page: page.page, pageSize: page.pageSize, withheld: view.withheld };
  }

  /**
   * The caller's agency's meetings in a window of days: the meetings of the cases it owns, and
   * (a partner) those of cases it takes part in that invite it. Each case is then decided by the
   * decision point exactly as GET /cases/:id/meetings decides it, and audited once.
   */
  async calendar(
    em: EntityManager,
    actor: Actor,
    q: CalendarQuery,
    ctx: AuditContext,
  ): Promise<{ from: string; to: string; items: CalendarItemT[] }> {
    const from = q.from ?? stockholmDate(new Date());
    const to = q.to ?? addDays(from, 27);
    if (to < from) throw badRequest('The calendar ends before it starts: choose a `to` on or after `from`.', 'calendar_window', '/to');
    if (to > addDays(from, CALENDAR_MAX_DAYS - 1))
      throw badRequest(`A calendar shows at most ${CALENDAR_MAX_DAYS} days: choose a shorter window.`, 'calendar_window', '/to');
    const rows = await sql<{ caseId: string; j: MeetingOutT }>(
      em,
      `SELECT m.case_id AS "caseId", ${MEETING_JSON} AS j FROM meeting m JOIN support_case c ON c.id = m.case_id
       WHERE m.date BETWEEN ?::date AND ?::date
         AND (c.owner_agency_id = ?::uuid OR (?::uuid = ANY(m.agency_ids) AND EXISTS (SELECT 1 FROM case_participant p WHERE p.case_id = c.id AND p.agency_id = ?::uuid)))
       ORDER BY m.date, m.starts_at NULLS FIRST, m.created_at, m.id LIMIT ${CALENDAR_MAX_ROWS}`,
      [from, to, actor.agencyId, actor.agencyId, actor.agencyId],
    );
    const byCase = new Map<string, MeetingOutT[]>();
    for (const r of rows) byCase.set(r.caseId, [...(byCase.get(r.caseId) ?? []), r.j]);
    // One statement decides access for every case of the window (denials audited by the door).
    const readable = await this.access.loadMany<{ caseNumber: string | null }>(em, actor, [...byCase.keys()], 'case.read', ctx, {
      select: 'f.case_number AS "caseNumber"',
      params: [],
    });
    const items: CalendarItemT[] = [];
    const events: AuditEvent[] = [];
    const crossed: (ExchangedItem & { caseId: string; subjectId: string })[] = [];
    for (const [caseId, meetings] of byCase) {
      const access = readable.get(caseId);
      if (!access) continue;
      const view = await this.access.view(em, actor, access);
      const shown = this.app.policy.shapeItems('meeting', meetings, view);
      if (shown.length === 0) continue;
      const { caseNumber } = this.app.policy.shape('case', { caseNumber: access.extra.caseNumber }, view);
      const event = { ...this.access.event(access, 'meeting.calendar', 'meeting', caseId), resourceId: null };
      events.push({ ...event, consentIds: [...new Set([...(event.consentIds ?? []), ...view.consentIds])] });
      for (const d of view.disclosures) crossed.push({ ...d, caseId, subjectId: access.facts.subjectId });
      for (const meeting of shown) items.push({ caseId, caseNumber: caseNumber ?? null, meeting });
    }
    // One event per case shown and the ledger rows of what crossed, before the answer leaves.
    await this.app.consents.recordListRead(em, actor, ctx, events, new Date(), crossed);
    items.sort(
      (a, b) => a.meeting.date.localeCompare(b.meeting.date) || (a.meeting.startsAt ?? '').localeCompare(b.meeting.startsAt ?? ''),
    );
    return { from, to, items };
  }

  /** A meeting as an iCalendar invitation, when the caller may see the meeting (else 404, audited). */
  async invite(em: EntityManager, actor: Actor, caseId: string, meetingId: string, ctx: AuditContext): Promise<string> {
    const access = await this.access.load<{ caseNumber: string | null }>(em, actor, caseId, 'case.read', ctx, {
      select: 'f.case_number AS "caseNumber"',
      params: [],
    });
    const [row] = await sql<{ j: MeetingOutT; sequence: number }>(
      em,
      `SELECT ${MEETING_JSON} AS j, m.sequence FROM meeting m WHERE m.id = ? AND m.case_id = ?`,
      [meetingId, caseId],
    );
    const view = await this.access.view(em, actor, access);
    const [meeting] = row ? this.app.policy.shapeItems('meeting', [row.j], view) : [];
    if (!meeting) {
      await this.app.audit.record(em, ctx, {
        ...this.access.event(access, 'meeting.invite', 'meeting', meetingId),
        outcome: 'denied',
        reason: row ? 'withheld' : 'not_in_case',
      });
      throw notFound();
    }
    const { caseNumber } = this.app.policy.shape('case', { caseNumber: access.extra.caseNumber }, view);
    await this.app.consents.recordRead(
      em,
      actor,
      ctx,
      access.facts,
      this.access.event(access, 'meeting.invite', 'meeting', meetingId),
      view,
    );
    return meetingInvite(
      {
        id: meeting.id,
        caseNumber: caseNumber ?? null,
        status: meeting.status,
        startsAt: meeting.startsAt,
        endsAt: meeting.endsAt,
        date: meeting.date,
        place: meeting.place,
        sequence: row!.sequence,
        updatedAt: meeting.updatedAt,
      },
      new Date(),
      UID_HOST,
    );
  }

  /** A meeting is held: its decisions (each may add a plan action) and the plan as it then stands. */
  private async hold(
    tx: EntityManager,
    actor: Actor,
    access: CaseAccess,
    meetingId: string,
    decisions: Decisions,
    events: AuditEvent[],
  ): Promise<void> {
    let position = 0;
    for (const d of decisions) {
      const planItemId = d.planItem
        ? await this.plan.insertPlanItem(tx, actor, access, d.planItem, `/decisions/${position}/planItem`)
        : null;
      if (planItemId) events.push(this.access.event(access, 'plan_item.create', 'plan_item', planItemId));
      await sql(tx, 'INSERT INTO meeting_decision (id, meeting_id, position, text, plan_item_id) VALUES (?, ?, ?, ?, ?)', [
        randomUUID(),
        meetingId,
        position++,
        d.text.trim(),
        planItemId,
      ]);
    }
    await sql(tx, SNAPSHOT_SQL, [meetingId]);
  }

  private async meeting(tx: EntityManager, id: string): Promise<MeetingOutT> {
    const [row] = await sql<{ j: MeetingOutT }>(tx, `SELECT ${MEETING_JSON} AS j FROM meeting m WHERE m.id = ?`, [id]);
    return row!.j;
  }
}
