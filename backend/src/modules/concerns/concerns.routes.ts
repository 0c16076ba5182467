import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import type { CaseConfig } from '../cases/cases.policy.js';
import { CasesService } from '../cases/cases.service.js';
import { errorResponses } from '../identity/identity.schemas.js';
import {
  ConcernListQuery,
  ConcernOptionsOut,
  ConcernOut,
  ConcernPage,
  ConcernParams,
  RaiseConcernBody,
  TriageBody,
  TriageOut,
} from './concerns.schemas.js';
import { ConcernsService } from './concerns.service.js';

/**
 * Concerns (orosanmälan, SoL 14 kap. 1 §): partners raise them; the intake of the area's social
 * services reads and triages them. One concern the caller may not see answers 404, audited,
 * exactly like one that does not exist; a role that may not use concerns at all gets 403.
 */
export const concernsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const config: CaseConfig = {
    areas: app.policy.policies.areas,
    lifeAreas: app.policy.policies.lifeAreas,
    outcomes: app.policy.policies.caseOutcomes,
  };
  const concerns = new ConcernsService(app, new CasesService(app, app.caseAccess, config));
  const tags = ['concerns'];

  app.post(
    '/concerns',
    {
      config: { audit: { action: 'concern.raise', resourceType: 'concern' } },
      schema: {
        tags,
        summary: 'Raise a concern about a young person with the social services of an area (partners)',
        body: RaiseConcernBody,
        response: { 201: ConcernOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const actor = await app.requireAction(request, 'concern.raise', 'concern');
      return reply.code(201).send(await concerns.raise(request.em, actor, request.body, auditContextOf(request)));
    },
  );

  app.get(
    '/concerns/options',
    {
      schema: {
        tags,
        summary: "The new-concern form's choices: the areas the caller's agency works in, and the urgencies",
        response: { 200: ConcernOptionsOut, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'concern.raise', 'concern');
      return concerns.options(request.em, actor);
    },
  );

  app.get(
    '/concerns',
    {
      config: { audit: { action: 'concern.list', resourceType: 'concern' } },
      schema: {
        tags,
        summary: "Concerns in the caller's view: the intake its areas' queue, the coordinator all, a reporter its own (status only)",
        querystring: ConcernListQuery,
        response: { 200: ConcernPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'concern.list', 'concern');
      return concerns.list(request.em, actor, request.query, auditContextOf(request));
    },
  );

  app.get(
    '/concerns/:id',
    {
      config: { audit: { action: 'concern.read', resourceType: 'concern' } },
      schema: {
        tags,
        summary: "One concern in the caller's view (the intake's first read marks it as being assessed)",
        params: ConcernParams,
        response: { 200: ConcernOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'concern.read', 'concern');
      return concerns.read(request.em, actor, request.params.id, auditContextOf(request));
    },
  );

  app.post(
    '/concerns/:id/triage',
    {
      config: { audit: { action: 'concern.triage', resourceType: 'concern' } },
      schema: {
        tags,
        summary: 'Triage a concern: link it to a case of the unit, open a case from it, or decide not to proceed',
        params: ConcernParams,
        body: TriageBody,
        response: { 200: TriageOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'concern.triage', 'concern');
      if (request.body.decision === 'open_case') await app.requireAction(request, 'case.create', 'case');
      return concerns.triage(request.em, actor, request.params.id, request.body, auditContextOf(request));
    },
  );
};
