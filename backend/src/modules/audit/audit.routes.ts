import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { parsePersonalIdentityNumber } from '../../lib/personnummer.js';
import { badRequest } from '../../lib/problem.js';
import { auditContextOf } from '../../plugins/app/audit.js';
import {
  AnomaliesOut,
  AnomaliesQuery,
  CheckpointsOut,
  CheckpointsQuery,
  CsvQuery,
  errorResponses,
  EventsPage,
  EventsQuery,
  ExtractOut,
  PublicKeyOut,
  SubjectParams,
  TimelineOut,
  TimelineQuery,
  VerifyOut,
  VerifyQuery,
  SubjectLookupBody,
  SubjectLookupOut,
  AgenciesOut,
  ActorsOut,
  ActionsOut,
  SecrecyReviewBody,
  SecrecyReviewOut,
  ExtractGroupsQuery,
  ExtractGroupsOut,
} from './audit.schemas.js';
import { recordSecrecyReview } from './audit.extract.js';
import { extractGroups } from './audit.groups.js';

/**
 * The auditor's API (role `auditor` via `audit.read`; verification and checkpoints also
 * `admin` via `audit.verify`). Every request is audited before its data is sent; the filters
 * that name a subject or case are recorded as references, so a subject's own extract shows
 * that an auditor looked.
 */
export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const service = app.auditQueries;
  app.addHook('onClose', async () => service.verifier.idle());
  const loadedTz = service.timezone;
  const tags = ['audit'];

  app.get(
    '/audit/public-key',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'The public key that signs audit checkpoints (for offline verification)',
        security: [],
        response: { 200: PublicKeyOut },
      },
    },
    async () => service.publicKey(),
  );

  app.get(
    '/audit/events',
    {
      config: { audit: { action: 'audit.search', resourceType: 'audit_log' } },
      schema: {
        tags,
        summary: 'Search the access log',
        querystring: EventsQuery,
        response: { 200: EventsPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'audit.read', 'audit_log');
      const f = request.query;
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.search',
        resourceType: 'audit_log',
        resourceId: f.actorId ?? f.agencyId ?? null,
        caseId: f.caseId ?? null,
        subjectId: f.subjectId ?? null,
        outcome: 'allowed',
        reason: 'role',
      });
      return service.search(request.em, f);
    },
  );

  app.get(
    '/audit/export.csv',
    {
      config: { audit: { action: 'audit.export_csv', resourceType: 'audit_log' } },
      schema: {
        tags,
        summary: 'The access log as CSV (same filters as the search)',
        querystring: CsvQuery,
        produces: ['text/csv'],
        response: { 200: Type.String(), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      await app.requireAction(request, 'audit.read', 'audit_log');
      const f = request.query;
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.export_csv',
        resourceType: 'audit_log',
        resourceId: f.actorId ?? f.agencyId ?? null,
        caseId: f.caseId ?? null,
        subjectId: f.subjectId ?? null,
        outcome: 'allowed',
        reason: 'role',
      });
      const { body, truncated } = await service.csv(request.em, f);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="samverka-audit.csv"')
        .header('x-truncated', String(truncated))
        .send(body);
    },
  );

  app.get(
    '/audit/export',
    {
      config: { audit: { action: 'audit.export', resourceType: 'audit_log' } },
      schema: {
        tags,
        summary: 'The whole log as JSON lines (header with public key, checkpoints, events) for the offline verifier',
        produces: ['application/x-ndjson'],
        response: { 200: Type.Unknown({ description: 'JSON lines' }), ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      await app.requireAction(request, 'audit.read', 'audit_log');
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.export',
        resourceType: 'audit_log',
        outcome: 'allowed',
        reason: 'role',
      });
      return reply
        .type('application/x-ndjson; charset=utf-8')
        .header('content-disposition', 'attachment; filename="samverka-audit-export.jsonl"')
        .send(Readable.from(service.exportLines(request.em)));
    },
  );

  app.get(
    '/audit/verify',
    {
      config: { audit: { action: 'audit.verify', resourceType: 'audit_log' } },
      schema: {
        tags,
        summary:
          'Verify the log: incremental (new events, anchors, a sample) or, with full=true, every event against every signed checkpoint',
        querystring: VerifyQuery,
        response: { 200: VerifyOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'audit.verify', 'audit_log');
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.verify',
        resourceType: 'audit_log',
        outcome: 'allowed',
        reason: request.query.full ? 'role_full' : 'role',
      });
      const r = await service.verify(request.em, { full: request.query.full });
      if (!r.ok) request.log.warn({ firstBadSeq: r.firstBadSeq, size: r.size }, 'audit log verification failed');
      return r;
    },
  );

  app.get(
    '/audit/checkpoints',
    {
      config: { audit: { action: 'audit.checkpoints', resourceType: 'audit_checkpoint' } },
      schema: {
        tags,
        summary: 'Signed checkpoints, newest first',
        querystring: CheckpointsQuery,
        response: { 200: CheckpointsOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'audit.verify', 'audit_checkpoint');
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.checkpoints',
        resourceType: 'audit_checkpoint',
        outcome: 'allowed',
        reason: 'role',
      });
      const pk = service.publicKey();
      return { items: await service.checkpoints(request.em, request.query.limit), publicKey: pk.publicKey, keyId: pk.keyId };
    },
  );

  app.get(
    '/audit/subjects/:id/extract',
    {
      config: { audit: { action: 'audit.extract', resourceType: 'subject' } },
      schema: {
        tags,
        summary: "A subject's log extract, each event with its Merkle inclusion proof",
        params: SubjectParams,
        response: { 200: ExtractOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'audit.read', 'subject');
      const subjectId = request.params.id;
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.extract',
        resourceType: 'subject',
        resourceId: subjectId,
        subjectId,
        outcome: 'allowed',
        reason: 'role',
      });
      const x = await service.extract(request.em, subjectId);
      return {
        format: 'samverka-audit-extract/v1' as const,
        subjectId,
        generatedAt: new Date().toISOString(),
        publicKey: service.publicKey(),
        ...x,
      };
    },
  );

  app.get(
    '/audit/subjects/:id/extract/groups',
    {
      config: { audit: { action: 'audit.extract_groups', resourceType: 'subject' } },
      schema: {
        tags,
        summary: "A subject's log extract grouped per day × agency × action, with counts and each group's newest events",
        params: SubjectParams,
        querystring: ExtractGroupsQuery,
        response: { 200: ExtractGroupsOut, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'audit.read', 'subject');
      const subjectId = request.params.id;
      const page = await extractGroups(request.em, subjectId, request.query, loadedTz);
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.extract_groups',
        resourceType: 'subject',
        resourceId: subjectId,
        subjectId,
        outcome: 'allowed',
        reason: 'role',
      });
      return { subjectId, timezone: loadedTz, ...page };
    },
  );

  app.post(
    '/audit/subjects/:id/secrecy-review',
    {
      config: { audit: { action: 'audit.secrecy_review', resourceType: 'subject' } },
      schema: {
        tags,
        summary: "Record a secrecy review of a protected person's log extract: release or keep holding back the agencies",
        params: SubjectParams,
        body: SecrecyReviewBody,
        response: { 201: SecrecyReviewOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = await app.requireAction(request, 'audit.secrecy_review', 'subject');
      return reply
        .code(201)
        .send(await recordSecrecyReview(app, request.em, actor, auditContextOf(request), request.params.id, request.body));
    },
  );

  app.get(
    '/audit/subjects/:id/extract.csv',
    {
      config: { audit: { action: 'audit.extract_csv', resourceType: 'subject' } },
      schema: {
        tags,
        summary: "A subject's log extract as CSV (no client addresses; proof status per event)",
        params: SubjectParams,
        produces: ['text/csv'],
        response: { 200: Type.String(), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      await app.requireAction(request, 'audit.read', 'subject');
      const subjectId = request.params.id;
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.extract_csv',
        resourceType: 'subject',
        resourceId: subjectId,
        subjectId,
        outcome: 'allowed',
        reason: 'role',
      });
      const { body, truncated } = await service.extractCsv(request.em, subjectId);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="samverka-loggutdrag-${subjectId}.csv"`)
        .header('x-truncated', String(truncated))
        .send(body);
    },
  );

  // GDPR art. 15: the auditor has a person's personnummer and needs the subject ids to take out
  // their extract. The number travels in the body only, is never logged nor recorded: the audit
  // event names the subjects found (so each one's own extract shows the lookup), or none.
  app.post(
    '/audit/subjects/lookup',
    {
      config: { audit: { action: 'audit.subject.lookup', resourceType: 'subject' } },
      schema: {
        tags,
        summary: 'Find the subject ids of a personal identity number (ids only, no names)',
        body: SubjectLookupBody,
        response: { 200: SubjectLookupOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'audit.read', 'subject');
      const ctx = auditContextOf(request);
      const pin = parsePersonalIdentityNumber(request.body.personalIdentityNumber);
      if (!pin) {
        await app.audit.record(request.em, ctx, {
          action: 'audit.subject.lookup',
          resourceType: 'subject',
          outcome: 'denied',
          reason: 'invalid_number',
        });
        throw badRequest(
          'That is not a valid personal identity number or coordination number. Check the digits and try again.',
          'invalid_personal_identity_number',
          'body/personalIdentityNumber',
        );
      }
      const subjects = await service.subjectsByPersonalIdentityNumber(request.em, pin.normalized);
      await app.audit.record(
        request.em,
        ctx,
        subjects.length
          ? subjects.map((x) => ({
              action: 'audit.subject.lookup',
              resourceType: 'subject',
              resourceId: x.id,
              subjectId: x.id,
              outcome: 'allowed' as const,
              reason: 'role',
            }))
          : [{ action: 'audit.subject.lookup', resourceType: 'subject', outcome: 'allowed' as const, reason: 'no_match' }],
      );
      request.log.info({ found: subjects.length }, 'audit subject lookup');
      return { subjects };
    },
  );

  app.get(
    '/audit/agencies',
    {
      config: { audit: { action: 'audit.agencies', resourceType: 'agency' } },
      schema: { tags, summary: "Agencies, for the auditor's filters", response: { 200: AgenciesOut, ...errorResponses(401, 403) } },
    },
    async (request) => {
      await app.requireAction(request, 'audit.read', 'audit_log');
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.agencies',
        resourceType: 'agency',
        outcome: 'allowed',
        reason: 'role',
      });
      return { items: await service.agencies(request.em) };
    },
  );

  app.get(
    '/audit/actors',
    {
      config: { audit: { action: 'audit.actors', resourceType: 'app_user' } },
      schema: {
        tags,
        summary: "Staff (id, name, agency), for the auditor's filters",
        response: { 200: ActorsOut, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'audit.read', 'audit_log');
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.actors',
        resourceType: 'app_user',
        outcome: 'allowed',
        reason: 'role',
      });
      return { items: await service.actors(request.em) };
    },
  );

  app.get(
    '/audit/actions',
    {
      config: { audit: { action: 'audit.actions', resourceType: 'audit_log' } },
      schema: {
        tags,
        summary: "Action codes in the log and known to the service, for the auditor's filters",
        response: { 200: ActionsOut, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'audit.read', 'audit_log');
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.actions',
        resourceType: 'audit_log',
        outcome: 'allowed',
        reason: 'role',
      });
      return { items: await service.actions(request.em) };
    },
  );

  app.get(
    '/audit/timeline',
    {
      config: { audit: { action: 'audit.timeline', resourceType: 'audit_log' } },
      schema: {
        tags,
        summary: 'Allowed, denied and error counts per agency per hour or day',
        querystring: TimelineQuery,
        response: { 200: TimelineOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'audit.read', 'audit_log');
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.timeline',
        resourceType: 'audit_log',
        resourceId: request.query.agencyId ?? null,
        outcome: 'allowed',
        reason: 'role',
      });
      const { points } = await service.timeline(request.em, request.query);
      return { bucket: request.query.bucket, timezone: loadedTz, from: request.query.from, to: request.query.to, points };
    },
  );

  app.get(
    '/audit/anomalies',
    {
      config: { audit: { action: 'audit.anomalies', resourceType: 'audit_log' } },
      schema: {
        tags,
        summary: 'Anomalies found by the rules in policies/anomalies.yaml',
        querystring: AnomaliesQuery,
        response: { 200: AnomaliesOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'audit.read', 'audit_log');
      const to = request.query.to ?? new Date().toISOString();
      const from = request.query.from ?? new Date(Date.parse(to) - 7 * 86_400_000).toISOString();
      await app.audit.record(request.em, auditContextOf(request), {
        action: 'audit.anomalies',
        resourceType: 'audit_log',
        outcome: 'allowed',
        reason: 'role',
      });
      return { from, to, timezone: loadedTz, items: await service.detectAnomalies(request.em, from, to) };
    },
  );
};
