import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { auditContextOf } from '../../plugins/app/audit.js';
import { CaseParams } from '../cases/cases.schemas.js';
import { IdParams } from '../consents/consents.schemas.js';
import { errorResponses } from '../identity/identity.schemas.js';
import { ConsentFormBody, MeetingParams, PdfResponse } from './printouts.schemas.js';
import { PrintoutsService, type Printed } from './printouts.service.js';

/** A printout as a download that no browser or proxy keeps. */
const sendPdf = (reply: FastifyReply, printed: Printed): FastifyReply =>
  reply
    .type('application/pdf')
    .header('content-disposition', `attachment; filename="${printed.filename}"`)
    .header('cache-control', 'no-store')
    .send(printed.pdf);

/**
 * Printouts as PDFs. Each answers exactly what the JSON read of the same thing would let the
 * caller see (a partner's plan shows only what its consents open), and 404 — audited — where that
 * read would. Consent documents are for the owning unit only.
 */
export const printoutsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const printouts = new PrintoutsService(app);
  const tags = ['printouts'];

  app.get(
    '/cases/:id/plan.pdf',
    {
      config: { audit: { action: 'case.print.plan', resourceType: 'case' } },
      schema: {
        tags,
        summary: 'The plan (åtagandeplan) for the network meeting, as the caller may see it',
        params: CaseParams,
        response: { 200: PdfResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => sendPdf(reply, await printouts.plan(request.em, request.actor!, request.params.id, auditContextOf(request))),
  );

  app.get(
    '/cases/:id/meetings/:meetingId/minutes.pdf',
    {
      config: { audit: { action: 'case.print.minutes', resourceType: 'meeting' } },
      schema: {
        tags,
        summary: "A network meeting's minutes: date, agencies, agenda, minutes, decisions",
        params: MeetingParams,
        response: { 200: PdfResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) =>
      sendPdf(
        reply,
        await printouts.minutes(request.em, request.actor!, request.params.id, request.params.meetingId, auditContextOf(request)),
      ),
  );

  app.get(
    '/cases/:id/meetings/:meetingId/invitation.pdf',
    {
      config: { audit: { action: 'case.print.invitation', resourceType: 'meeting' } },
      schema: {
        tags,
        summary: 'The invitation to a network meeting: date, time, place, invited agencies and people, agenda',
        params: MeetingParams,
        response: { 200: PdfResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) =>
      sendPdf(
        reply,
        await printouts.invitation(request.em, request.actor!, request.params.id, request.params.meetingId, auditContextOf(request)),
      ),
  );

  app.get(
    '/consents/:id/receipt.pdf',
    {
      config: { audit: { action: 'consent.print.receipt', resourceType: 'consent_receipt' } },
      schema: {
        tags,
        summary: 'The consent receipt as a one-page document to keep: what was agreed, how to withdraw, a verification code',
        params: IdParams,
        response: { 200: PdfResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const actor = await app.requireAction(request, 'consent.read', 'consent');
      return sendPdf(reply, await printouts.receipt(request.em, actor, request.params.id, auditContextOf(request)));
    },
  );

  app.post(
    '/cases/:id/consent-form.pdf',
    {
      config: { audit: { action: 'consent.print.form', resourceType: 'case' } },
      schema: {
        tags,
        summary: 'A consent form to sign, pre-filled with this scope and the names of the person and the guardians',
        params: CaseParams,
        body: ConsentFormBody,
        response: { 200: PdfResponse, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = await app.requireAction(request, 'consent.record', 'consent');
      return sendPdf(reply, await printouts.consentForm(request.em, actor, request.params.id, request.body, auditContextOf(request)));
    },
  );
};
