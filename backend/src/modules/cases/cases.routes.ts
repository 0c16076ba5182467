import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import fp from 'fastify-plugin';
import { auditContextOf } from '../../plugins/app/audit.js';
import { errorResponses } from '../identity/identity.schemas.js';
import {
  CaseListItem,
  CaseListQuery,
  CaseOptionsOut,
  CasePage,
  CaseOut,
  CaseParams,
  CaseSearchBody,
  CaseStatsOut,
  CloseCaseBody,
  CreateCaseBody,
  EntriesQuery,
  EntryBody,
  EntryOut,
  GatedPage,
  GroupStatsOut,
  MeetingBody,
  MeetingOut,
  PageQuery,
  ParticipantBody,
  ParticipantOut,
  ParticipantParams,
  PlanItemBody,
  PlanItemOut,
  PlanItemParams,
  UpdateCaseBody,
  UpdatePlanItemBody,
} from './cases.schemas.js';
import { CaseworkerOut, ResponsibilityChangeOut, TransferBody } from './cases.schemas.js';
import { CaseOutcomeEventOut, ClosedCaseOut, PlanItemChangeOut, RemoveParticipantQuery, ReopenCaseBody } from './cases.schemas.js';
import { CaseOutcomesService } from './case-outcomes.service.js';
import { ResponsibilityService } from './responsibility.service.js';
import { CaseAccessService } from './case-access.js';
import { CaseListsService } from './case-lists.service.js';
import { CaseStatsService } from './case-stats.service.js';
import type { CaseConfig } from './cases.policy.js';
import { CasesService } from './cases.service.js';
import { JournalService } from './journal.service.js';
import { meetingRoutes } from './meetings.routes.js';
import { networkRoutes } from './network.routes.js';
import { NetworkService } from './network.service.js';
import { MeetingsService } from './meetings.service.js';
import { PlanService } from './plan.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The way to one case (facts, the decision point's answer, audited denials), for every module. */
    caseAccess: CaseAccessService;
  }
}

/**
 * Routes on one case answer 404 to every caller who may not act on it — another agency, or a role
 * without case access such as auditors and coordinators — exactly as for a case that does not
 * exist, and audit the denial. Collection routes (create, list, search, figures) answer 403 to a
 * role that may not use them.
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const access = new CaseAccessService(app);
  app.decorate('caseAccess', access);
  const config: CaseConfig = {
    areas: app.policy.policies.areas,
    lifeAreas: app.policy.policies.lifeAreas,
    outcomes: app.policy.policies.caseOutcomes,
  };
  const cases = new CasesService(app, access, config);
  const journal = new JournalService(app, access);
  const plan = new PlanService(app, access, config);
  const meetings = new MeetingsService(app, access, plan);
  const lists = new CaseListsService(app, config);
  const stats = new CaseStatsService(app, config);
  const responsibility = new ResponsibilityService(app, access);
  const outcomes = new CaseOutcomesService(app, access, config);
  const tags = ['cases'];
  const caseErrors = errorResponses(400, 401, 404);
  const writeErrors = errorResponses(400, 401, 404, 409);

  app.get(
    '/cases/options',
    {
      schema: {
        tags,
        summary: 'Areas, life areas, information categories and agencies, for forms',
        response: { 200: CaseOptionsOut, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'case.list', 'case');
      return stats.options(request.em, actor);
    },
  );

  app.post(
    '/cases',
    {
      config: { audit: { action: 'case.create', resourceType: 'case' } },
      schema: {
        tags,
        summary: 'Open a case (the subject is reused if the agency already has one with this number)',
        body: CreateCaseBody,
        response: { 201: CaseOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const actor = await app.requireAction(request, 'case.create', 'case');
      return reply.code(201).send(await cases.createCase(request.em, actor, request.body, auditContextOf(request)));
    },
  );

  app.get(
    '/cases',
    {
      config: { audit: { action: 'case.list', resourceType: 'case' } },
      schema: {
        tags,
        summary:
          "My agency's cases (a partner: the cases its agency takes part in, while consent lets identity cross to it). Prefer POST /cases/search for `q`: names and numbers do not belong in URLs",
        querystring: CaseListQuery,
        response: { 200: CasePage(CaseListItem), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'case.list', 'case');
      return lists.listCases(request.em, actor, request.query, 'case.list', auditContextOf(request));
    },
  );

  app.post(
    '/cases/search',
    {
      config: { audit: { action: 'case.search', resourceType: 'case' } },
      schema: {
        tags,
        summary: 'Search the cases of GET /cases by name or personal identity number (filters in the body)',
        body: CaseSearchBody,
        response: { 200: CasePage(CaseListItem), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'case.list', 'case');
      return lists.listCases(request.em, actor, request.body, 'case.search', auditContextOf(request));
    },
  );

  app.get(
    '/cases/stats',
    {
      config: { audit: { action: 'case.stats.read', resourceType: 'case_stats' } },
      schema: {
        tags,
        summary: "Counts of my agency's cases by type and status",
        response: { 200: CaseStatsOut, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'case.stats.read', 'case_stats');
      return stats.agencyStats(request.em, actor, auditContextOf(request));
    },
  );

  app.get(
    '/stats/groups',
    {
      config: { audit: { action: 'stats.groups.read', resourceType: 'case_stats' } },
      schema: {
        tags,
        summary: 'Group-level figures: counts per area × type × status, no identities, small cells and what would reveal them suppressed',
        response: { 200: GroupStatsOut, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'stats.groups.read', 'case_stats');
      return stats.groupStats(request.em, auditContextOf(request));
    },
  );

  app.get(
    '/cases/:id',
    {
      config: { audit: { action: 'case.read', resourceType: 'case' } },
      schema: {
        tags,
        summary: 'One case with its subject, guardians, participants, plan and recent meetings',
        params: CaseParams,
        response: { 200: CaseOut, ...caseErrors },
      },
    },
    async (request) => cases.readCase(request.em, request.actor!, request.params.id, auditContextOf(request)),
  );

  app.patch(
    '/cases/:id',
    {
      config: { audit: { action: 'case.update', resourceType: 'case' } },
      schema: {
        tags,
        summary: 'Change reason, area, phase (avhoppare), status open → active or the deputy caseworker',
        params: CaseParams,
        body: UpdateCaseBody,
        response: { 200: CaseOut, ...writeErrors },
      },
    },
    async (request) => cases.updateCase(request.em, request.actor!, request.params.id, request.body, auditContextOf(request)),
  );

  app.post(
    '/cases/:id/close',
    {
      config: { audit: { action: 'case.close', resourceType: 'case' } },
      schema: {
        tags,
        summary:
          'Close a case with an outcome code (policies/case-outcomes.yaml; default `other`) and text; answers the consents still in force',
        params: CaseParams,
        body: CloseCaseBody,
        response: { 200: ClosedCaseOut, ...writeErrors },
      },
    },
    async (request) => outcomes.close(request.em, request.actor!, request.params.id, request.body, auditContextOf(request)),
  );

  app.post(
    '/cases/:id/reopen',
    {
      config: { audit: { action: 'case.reopen', resourceType: 'case' } },
      schema: {
        tags,
        summary: 'Reopen a closed case with a reason (it becomes active)',
        params: CaseParams,
        body: ReopenCaseBody,
        response: { 200: CaseOut, ...writeErrors },
      },
    },
    async (request) => outcomes.reopen(request.em, request.actor!, request.params.id, request.body.reason, auditContextOf(request)),
  );

  app.get(
    '/cases/:id/outcome-history',
    {
      config: { audit: { action: 'case.outcome.read', resourceType: 'case' } },
      schema: {
        tags,
        summary: 'Closes (outcome code and text) and reopens (reason) of the case, oldest first (owning unit only)',
        params: CaseParams,
        response: { 200: Type.Array(CaseOutcomeEventOut), ...caseErrors },
      },
    },
    async (request) => outcomes.history(request.em, request.actor!, request.params.id, auditContextOf(request)),
  );

  app.post(
    '/cases/:id/transfer',
    {
      config: { audit: { action: 'case.transfer', resourceType: 'case' } },
      schema: {
        tags,
        summary: 'Transfer responsibility to another social worker of the owning agency (400 `transfer_target_invalid` for anyone else)',
        params: CaseParams,
        body: TransferBody,
        response: { 200: CaseOut, ...writeErrors },
      },
    },
    async (request) => responsibility.transfer(request.em, request.actor!, request.params.id, request.body.userId, auditContextOf(request)),
  );

  app.get(
    '/cases/:id/responsibility-history',
    {
      config: { audit: { action: 'case.responsibility.read', resourceType: 'case' } },
      schema: {
        tags,
        summary: "Changes of the case's responsible caseworker and deputy, oldest first (owning unit only)",
        params: CaseParams,
        response: { 200: Type.Array(ResponsibilityChangeOut), ...caseErrors },
      },
    },
    async (request) => responsibility.history(request.em, request.actor!, request.params.id, auditContextOf(request)),
  );

  app.get(
    '/cases/:id/caseworkers',
    {
      config: { audit: { action: 'case.caseworkers.read', resourceType: 'case' } },
      schema: {
        tags,
        summary: 'The social workers of the owning agency the case can be transferred to or given as deputy (owning unit only)',
        params: CaseParams,
        response: { 200: Type.Array(CaseworkerOut), ...caseErrors },
      },
    },
    async (request) => responsibility.caseworkers(request.em, request.actor!, request.params.id, auditContextOf(request)),
  );

  app.post(
    '/cases/:id/participants',
    {
      config: { audit: { action: 'case.participant.add', resourceType: 'agency' } },
      schema: {
        tags,
        summary: 'Add a participating agency',
        params: CaseParams,
        body: ParticipantBody,
        response: { 201: Type.Array(ParticipantOut), ...writeErrors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await cases.addParticipant(request.em, request.actor!, request.params.id, request.body.agencyId, auditContextOf(request))),
  );

  app.delete(
    '/cases/:id/participants/:agencyId',
    {
      config: { audit: { action: 'case.participant.remove', resourceType: 'agency' } },
      schema: {
        tags,
        summary:
          'Remove a participating agency (409 `not_participant` if it does not take part; 409 `agency_has_plan_items` if it has open plan actions and no `reassignTo`)',
        params: ParticipantParams,
        querystring: RemoveParticipantQuery,
        response: { 204: Type.Null(), ...writeErrors },
      },
    },
    async (request, reply) => {
      await cases.removeParticipant(
        request.em,
        request.actor!,
        request.params.id,
        request.params.agencyId,
        request.query.reassignTo,
        auditContextOf(request),
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/cases/:id/entries',
    {
      config: { audit: { action: 'entry.create', resourceType: 'journal_entry' } },
      schema: {
        tags,
        summary: 'Write a journal entry (append-only; a correction is a new entry with `corrects`)',
        params: CaseParams,
        body: EntryBody,
        response: { 201: EntryOut, ...writeErrors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await journal.createEntry(request.em, request.actor!, request.params.id, request.body, auditContextOf(request))),
  );

  app.get(
    '/cases/:id/entries',
    {
      config: { audit: { action: 'entry.list', resourceType: 'journal_entry' } },
      schema: {
        tags,
        summary: 'Journal entries, newest first (deep pages: `after` the last entry seen); filters apply to what the caller may see',
        params: CaseParams,
        querystring: EntriesQuery,
        response: { 200: GatedPage(EntryOut), ...caseErrors },
      },
    },
    async (request) => journal.listEntries(request.em, request.actor!, request.params.id, request.query, auditContextOf(request)),
  );

  app.post(
    '/cases/:id/plan-items',
    {
      config: { audit: { action: 'plan_item.create', resourceType: 'plan_item' } },
      schema: {
        tags,
        summary: 'Add a plan item (åtagandeplan)',
        params: CaseParams,
        body: PlanItemBody,
        response: { 201: PlanItemOut, ...writeErrors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await plan.createPlanItem(request.em, request.actor!, request.params.id, request.body, auditContextOf(request))),
  );

  app.patch(
    '/cases/:id/plan-items/:itemId',
    {
      config: { audit: { action: 'plan_item.update', resourceType: 'plan_item' } },
      schema: {
        tags,
        summary: 'Update a plan item; `followUp` appends a follow-up note',
        params: PlanItemParams,
        body: UpdatePlanItemBody,
        response: { 200: PlanItemOut, ...writeErrors },
      },
    },
    async (request) =>
      plan.updatePlanItem(request.em, request.actor!, request.params.id, request.params.itemId, request.body, auditContextOf(request)),
  );

  app.get(
    '/cases/:id/plan-items/:itemId/history',
    {
      config: { audit: { action: 'plan_item.history.read', resourceType: 'plan_item' } },
      schema: {
        tags,
        summary: "A plan item's changes (who, when, which fields, old and new values), oldest first",
        params: PlanItemParams,
        response: { 200: Type.Array(PlanItemChangeOut), ...caseErrors },
      },
    },
    async (request) => plan.history(request.em, request.actor!, request.params.id, request.params.itemId, auditContextOf(request)),
  );

  app.post(
    '/cases/:id/meetings',
    {
      config: { audit: { action: 'meeting.create', resourceType: 'meeting' } },
      schema: {
        tags,
        summary: 'Plan a network meeting (`status: planned`), or record a held one (minutes; a decision may create a plan item)',
        params: CaseParams,
        body: MeetingBody,
        response: { 201: MeetingOut, ...writeErrors },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await meetings.createMeeting(request.em, request.actor!, request.params.id, request.body, auditContextOf(request))),
  );

  app.get(
    '/cases/:id/meetings',
    {
      config: { audit: { action: 'meeting.list', resourceType: 'meeting' } },
      schema: {
        tags,
        summary: 'Network meetings, latest first',
        params: CaseParams,
        querystring: PageQuery,
        response: { 200: GatedPage(MeetingOut), ...caseErrors },
      },
    },
    async (request) => meetings.listMeetings(request.em, request.actor!, request.params.id, request.query, auditContextOf(request)),
  );
  meetingRoutes(app, meetings);
  networkRoutes(app, new NetworkService(app, access));
};

/** Not encapsulated, so that `app.caseAccess` is visible to the modules registered beside it under /api. */
export const casesRoutes = fp(routes, { name: 'cases' });
