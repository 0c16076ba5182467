import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { IdParams, errorResponses } from '../identity/identity.schemas.js';
import { AreaAccess } from './areas.access.js';
import {
  ActionBody,
  ActionOut,
  ActionPatchBody,
  AreaIdParams,
  AreaParams,
  HiddenOut,
  HideBody,
  MeetingBody,
  MeetingOut,
  MeetingPatchBody,
  MyAreasOut,
  ObservationBody,
  ObservationOut,
  ObservationPage,
  ObservationsQuery,
  PictureOut,
  PictureQuery,
} from './areas.schemas.js';
import { GroupService } from './group.service.js';
import { ObservationsService } from './observations.service.js';
import { PictureService } from './picture.service.js';

/**
 * The group level per area (lägesbild): observations without identities, the operational
 * group's meetings and the group-level actions they decide. Every route: the role gate, then the
 * decision point's area rule, then the service; reads and writes audited.
 */
export const areasRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const access = new AreaAccess(app);
  const observations = new ObservationsService(app);
  const group = new GroupService(app);
  const pictures = new PictureService(app, access);
  const tags = ['areas'];

  app.get(
    '/areas',
    {
      schema: {
        tags,
        summary: 'The areas my agency works in, and the observation categories',
        response: { 200: MyAreasOut, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'area.read', 'area');
      const mine = new Set(await access.agencyAreas(request.em, actor));
      await app.audit.record(request.em, auditContextOf(request), { action: 'area.list', resourceType: 'area', outcome: 'allowed' });
      return { areas: app.policy.policies.areas.areas.filter((a) => mine.has(a)), categories: pictures.categories() };
    },
  );

  app.get(
    '/areas/:area',
    {
      schema: {
        tags,
        summary: "An area's picture: observations per week and category, open actions, the last meetings",
        params: AreaParams,
        querystring: PictureQuery,
        response: { 200: PictureOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'area.read', 'area');
      return pictures.picture(request, actor, access.area(request.params.area), request.query);
    },
  );

  app.get(
    '/areas/:area/observations',
    {
      schema: {
        tags,
        summary: "An area's observations, newest first (hidden ones never)",
        params: AreaParams,
        querystring: ObservationsQuery,
        response: { 200: ObservationPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'area.read', 'area');
      const area = access.area(request.params.area);
      await access.require(request, actor, 'area.read', area);
      return observations.list(request.em, auditContextOf(request), area, request.query);
    },
  );

  app.post(
    '/areas/:area/observations',
    {
      schema: {
        tags,
        summary: 'Record an observation: when, where, what kind, about how many and how old — never who',
        params: AreaParams,
        body: ObservationBody,
        response: { 201: ObservationOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const actor = await app.requireAction(request, 'area.observation.write', 'area_observation');
      const area = access.area(request.params.area);
      await access.require(request, actor, 'area.observation.write', area);
      return reply.code(201).send(await observations.create(request.em, actor, auditContextOf(request), area, request.body));
    },
  );

  app.post(
    '/observations/:id/hide',
    {
      schema: {
        tags,
        summary: 'Hide an observation that identifies someone anyway (coordinator, with a reason)',
        params: IdParams,
        body: HideBody,
        response: { 200: HiddenOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'area.observation.hide', 'area_observation');
      const { id } = request.params;
      const area = await observations.areaOf(request.em, id);
      await access.requireItem(request, actor, 'area.observation.hide', 'area_observation', id, area);
      await observations.hide(request.em, actor, auditContextOf(request), id, request.body.reason);
      return { id, hidden: true as const };
    },
  );

  app.get(
    '/areas/:area/meetings/:id',
    {
      schema: {
        tags,
        summary: 'A group meeting of the area with its agenda (observations since the last meeting, open actions)',
        params: AreaIdParams,
        response: { 200: MeetingOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'area.read', 'area');
      const area = access.area(request.params.area);
      await access.require(request, actor, 'area.read', area);
      return group.meeting(request.em, auditContextOf(request), area, request.params.id);
    },
  );

  app.post(
    '/areas/:area/meetings',
    {
      schema: {
        tags,
        summary: 'Plan a group meeting of the area (coordinator)',
        params: AreaParams,
        body: MeetingBody,
        response: { 201: MeetingOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const actor = await app.requireAction(request, 'area.meeting.write', 'area_meeting');
      const area = access.area(request.params.area);
      await access.require(request, actor, 'area.meeting.write', area);
      return reply.code(201).send(await group.createMeeting(request.em, actor, auditContextOf(request), area, request.body));
    },
  );

  app.patch(
    '/areas/:area/meetings/:id',
    {
      schema: {
        tags,
        summary: 'Notes, minutes and decisions of a group meeting; mark it held (coordinator)',
        params: AreaIdParams,
        body: MeetingPatchBody,
        response: { 200: MeetingOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'area.meeting.write', 'area_meeting');
      const area = access.area(request.params.area);
      const { id } = request.params;
      const found = await group.meetingArea(request.em, id);
      await access.requireItem(request, actor, 'area.meeting.write', 'area_meeting', id, found === area ? found : null);
      return group.updateMeeting(request.em, auditContextOf(request), area, id, request.body);
    },
  );

  app.post(
    '/areas/:area/actions',
    {
      schema: {
        tags,
        summary: 'A group-level action: what, where, which agency, by when (coordinator)',
        params: AreaParams,
        body: ActionBody,
        response: { 201: ActionOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const actor = await app.requireAction(request, 'area.action.write', 'group_action');
      const area = access.area(request.params.area);
      await access.require(request, actor, 'area.action.write', area);
      return reply.code(201).send(await group.createAction(request.em, actor, auditContextOf(request), area, request.body));
    },
  );

  app.patch(
    '/group-actions/:id',
    {
      schema: {
        tags,
        summary: 'Follow up a group-level action: its status and a note (coordinator)',
        params: IdParams,
        body: ActionPatchBody,
        response: { 200: ActionOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'area.action.write', 'group_action');
      const { id } = request.params;
      await access.requireItem(request, actor, 'area.action.write', 'group_action', id, await group.actionArea(request.em, id));
      return group.updateAction(request.em, auditContextOf(request), id, request.body);
    },
  );
};
