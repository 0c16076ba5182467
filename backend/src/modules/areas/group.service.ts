import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { badRequest, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { stockholmDate } from '../consents/calendar.js';
import type {
  ActionBodyT,
  ActionOutT,
  ActionPatchBodyT,
  MeetingBodyT,
  MeetingOutT,
  MeetingPatchBodyT,
  MeetingSummaryOutT,
  ObservationOutT,
} from './areas.schemas.js';
import { ACTION_SQL, MEETING_SQL } from './areas.sql.js';
import { refuseIdentities } from './no-identities.js';

interface MeetingRow {
  meeting: MeetingSummaryOutT;
  since: Date | string | null;
  observations: ObservationOutT[];
  open_actions: ActionOutT[];
  actions: ActionOutT[];
}

/** The operational group of an area: its meetings, and the group-level actions they decide and follow up. */
export class GroupService {
  constructor(private readonly app: FastifyInstance) {}

  /** A meeting of the area with its agenda, or 404. Reads are audited before they leave. */
  async meeting(em: EntityManager, ctx: AuditContext, area: string, id: string, audit = true): Promise<MeetingOutT> {
    const [row] = await sql<MeetingRow>(em, MEETING_SQL, [id, area]);
    if (!row) throw notFound();
    if (audit)
      await this.app.audit.record(em, ctx, {
        action: 'area.meeting.read',
        resourceType: 'area_meeting',
        resourceId: id,
        outcome: 'allowed',
      });
    return {
      ...row.meeting,
      agenda: {
        since: row.since === null ? null : new Date(row.since).toISOString(),
        observations: row.observations,
        openActions: row.open_actions,
      },
      actions: row.actions,
    };
  }

  async createMeeting(em: EntityManager, actor: Actor, ctx: AuditContext, area: string, body: MeetingBodyT): Promise<MeetingOutT> {
    refuseIdentities({ '/notes': body.notes });
    const id = randomUUID();
    await transaction(em, async (tx) => {
      await sql(tx, 'INSERT INTO area_meeting (id, area, date, notes, created_by) VALUES (?, ?, ?, ?, ?)', [
        id,
        area,
        body.date,
        body.notes || null,
        actor.id,
      ]);
      await this.app.audit.record(tx, ctx, {
        action: 'area.meeting.create',
        resourceType: 'area_meeting',
        resourceId: id,
        outcome: 'allowed',
      });
    });
    return this.meeting(em, ctx, area, id, false);
  }

  /** The area of a meeting, or null. */
  async meetingArea(em: EntityManager, id: string): Promise<string | null> {
    const [row] = await sql<{ area: string }>(em, 'SELECT area FROM area_meeting WHERE id = ?', [id]);
    return row?.area ?? null;
  }

  /** Notes, minutes and decisions; `status: held` marks a planned meeting held (not before its day). */
  async updateMeeting(em: EntityManager, ctx: AuditContext, area: string, id: string, body: MeetingPatchBodyT): Promise<MeetingOutT> {
    refuseIdentities({
      '/notes': body.notes,
      '/minutes': body.minutes,
      ...Object.fromEntries((body.decisions ?? []).map((d, i) => [`/decisions/${i}/text`, d.text])),
    });
    await transaction(em, async (tx) => {
      const [m] = await sql<{ date: string; status: string }>(
        tx,
        "SELECT to_char(date, 'YYYY-MM-DD') AS date, status FROM area_meeting WHERE id = ? AND area = ? FOR UPDATE",
        [id, area],
      );
      if (!m) throw notFound();
      const holding = body.status === 'held' && m.status === 'planned';
      if (holding && m.date > stockholmDate(new Date()))
        throw badRequest('The meeting is planned for a later day: mark it held on or after that day.', 'meeting_in_future', '/status');
      await sql(
        tx,
        `UPDATE area_meeting SET
           notes = CASE WHEN ?::boolean THEN ? ELSE notes END,
           minutes = CASE WHEN ?::boolean THEN ? ELSE minutes END,
           decisions = CASE WHEN ?::boolean THEN ?::jsonb ELSE decisions END,
           status = CASE WHEN ?::boolean THEN 'held' ELSE status END,
           held_at = CASE WHEN ?::boolean THEN now() ELSE held_at END,
           updated_at = now()
         WHERE id = ?`,
        [
          body.notes !== undefined,
          body.notes || null,
          body.minutes !== undefined,
          body.minutes || null,
          body.decisions !== undefined,
          JSON.stringify(body.decisions ?? []),
          holding,
          holding,
          id,
        ],
      );
      await this.app.audit.record(tx, ctx, {
        action: holding ? 'area.meeting.held' : 'area.meeting.update',
        resourceType: 'area_meeting',
        resourceId: id,
        outcome: 'allowed',
      });
    });
    return this.meeting(em, ctx, area, id, false);
  }

  private async action(em: EntityManager, id: string): Promise<ActionOutT> {
    const [row] = await sql<{ action: ActionOutT }>(em, ACTION_SQL, [id]);
    if (!row) throw notFound();
    return row.action;
  }

  /** A group-level action: what, where, which agency working in the area, by when; optionally the meeting that decided it. */
  async createAction(em: EntityManager, actor: Actor, ctx: AuditContext, area: string, body: ActionBodyT): Promise<ActionOutT> {
    refuseIdentities({ '/what': body.what, '/place': body.place });
    const id = randomUUID();
    await transaction(em, async (tx) => {
      const [agency] = await sql<{ id: string }>(
        tx,
        "SELECT id FROM agency WHERE id = ? AND ? = ANY(areas) AND active AND kind IN ('school', 'social_services', 'police', 'leisure')",
        [body.agencyId, area],
      );
      if (!agency)
        throw badRequest(
          'The agency does not work in this area: choose one of the agencies of the area.',
          'agency_not_in_area',
          '/agencyId',
        );
      if (body.meetingId !== undefined) {
        const [m] = await sql<{ id: string }>(tx, 'SELECT id FROM area_meeting WHERE id = ? AND area = ?', [body.meetingId, area]);
        if (!m) throw badRequest('No such meeting in this area: choose one of the area’s meetings.', 'unknown_meeting', '/meetingId');
      }
      await sql(
        tx,
        'INSERT INTO group_action (id, area, meeting_id, what, place, agency_id, due_date, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [id, area, body.meetingId ?? null, body.what, body.place, body.agencyId, body.dueDate, actor.id],
      );
      await this.app.audit.record(tx, ctx, {
        action: 'area.action.create',
        resourceType: 'group_action',
        resourceId: id,
        outcome: 'allowed',
      });
    });
    return this.action(em, id);
  }

  /** The area of an action, or null. */
  async actionArea(em: EntityManager, id: string): Promise<string | null> {
    const [row] = await sql<{ area: string }>(em, 'SELECT area FROM group_action WHERE id = ?', [id]);
    return row?.area ?? null;
  }

  /** Follow-up: a new status and a note. */
  async updateAction(em: EntityManager, ctx: AuditContext, id: string, body: ActionPatchBodyT): Promise<ActionOutT> {
    refuseIdentities({ '/followUp': body.followUp });
    await transaction(em, async (tx) => {
      await sql(
        tx,
        `UPDATE group_action SET status = coalesce(?, status), follow_up = CASE WHEN ?::boolean THEN ? ELSE follow_up END, updated_at = now()
         WHERE id = ?`,
        [body.status ?? null, body.followUp !== undefined, body.followUp || null, id],
      );
      await this.app.audit.record(tx, ctx, {
        action: 'area.action.update',
        resourceType: 'group_action',
        resourceId: id,
        outcome: 'allowed',
      });
    });
    return this.action(em, id);
  }
}
