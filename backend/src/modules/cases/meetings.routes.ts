import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { errorResponses } from '../identity/identity.schemas.js';
import { MeetingOut } from './cases.schemas.js';
import { CalendarOut, CalendarQuery, MeetingParams, UpdateMeetingBody } from './meetings.schemas.js';
import type { MeetingsService } from './meetings.service.js';

type App = Parameters<FastifyPluginAsyncTypebox>[0];

/** An invitation is a download that no browser or proxy keeps. */
const IcsResponse = {
  description: 'An iCalendar invitation (RFC 5545): the case number, the place and the time, nothing else about the person',
  content: { 'text/calendar': { schema: { type: 'string' } } },
};

/** Meetings beyond recording them (cases.routes.ts): move, cancel or hold; the calendar; invitations. */
export function meetingRoutes(app: App, meetings: MeetingsService): void {
  const tags = ['cases'];

  app.patch(
    '/cases/:id/meetings/:meetingId',
    {
      config: { audit: { action: 'meeting.update', resourceType: 'meeting' } },
      schema: {
        tags,
        summary:
          'Move or cancel a planned meeting, or hold it (attendance, minutes, decisions); 409 `meeting_held` / `meeting_cancelled` once it is either',
        params: MeetingParams,
        body: UpdateMeetingBody,
        response: { 200: MeetingOut, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request) =>
      meetings.updateMeeting(
        request.em,
        request.actor!,
        request.params.id,
        request.params.meetingId,
        request.body,
        auditContextOf(request),
      ),
  );

  app.get(
    '/meetings',
    {
      config: { audit: { action: 'meeting.calendar', resourceType: 'meeting' } },
      schema: {
        tags,
        summary:
          "The calendar: my agency's meetings from `from` to `to` (at most 62 days) on the cases it owns, or takes part in and is invited to",
        querystring: CalendarQuery,
        response: { 200: CalendarOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'meeting.calendar', 'meeting');
      return meetings.calendar(request.em, actor, request.query, auditContextOf(request));
    },
  );

  app.get(
    '/cases/:id/meetings/:meetingId/invite.ics',
    {
      config: { audit: { action: 'meeting.invite', resourceType: 'meeting' } },
      schema: {
        tags,
        summary: 'The meeting as a calendar invitation (.ics) without personal data',
        params: MeetingParams,
        response: { 200: IcsResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const ics = await meetings.invite(request.em, request.actor!, request.params.id, request.params.meetingId, auditContextOf(request));
      return reply
        .type('text/calendar; charset=utf-8')
        .header('content-disposition', 'attachment; filename="natverksmote.ics"')
        .header('cache-control', 'no-store')
        .send(ics);
    },
  );
}
