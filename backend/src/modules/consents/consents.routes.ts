import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import fp from 'fastify-plugin';
import { auditContextOf } from '../../plugins/app/audit.js';
import { errorResponses } from '../identity/identity.schemas.js';
import {
  ConsentMatrixOut,
  ConsentOut,
  DisclosurePage,
  DisclosureQuery,
  ExpiringConsentOut,
  IdParams,
  ReceiptOut,
  RecordConsentBody,
  VerifyReceiptBody,
  VerifyReceiptOut,
  WithdrawBody,
} from './consents.schemas.js';
import { ConsentsService } from './consents.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Consents, the gate every exchange between agencies goes through, and the disclosure ledger. */
    consents: ConsentsService;
  }
}

/**
 * Consent routes. Every route on one case, consent or subject answers 404 to a caller outside the
 * owning unit — exactly as for one that does not exist — and audits the refusal; a role that may
 * not use consents at all gets 403 (audited).
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const consents = new ConsentsService(app);
  app.decorate('consents', consents);
  const tags = ['consents'];

  app.post(
    '/cases/:id/consents',
    {
      schema: {
        tags,
        summary: 'Record a consent given by the subject or one guardian; a signed receipt is issued',
        params: IdParams,
        body: RecordConsentBody,
        response: { 201: ConsentOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = await app.requireAction(request, 'consent.record', 'consent');
      return reply.code(201).send(await consents.record(request.em, actor, request.params.id, request.body, auditContextOf(request)));
    },
  );

  app.get(
    '/cases/:id/consents',
    {
      schema: {
        tags,
        summary: 'The consents of a case, with their status now',
        params: IdParams,
        response: { 200: Type.Array(ConsentOut), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'consent.read', 'consent');
      return consents.listForCase(request.em, actor, request.params.id, auditContextOf(request));
    },
  );

  app.get(
    '/cases/:id/consent-matrix',
    {
      schema: {
        tags,
        summary: "For each pair of the case's agencies and each category: open now, or closed and which party is missing",
        params: IdParams,
        response: { 200: ConsentMatrixOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'consent.read', 'consent');
      return consents.matrix(request.em, actor, request.params.id, auditContextOf(request));
    },
  );

  app.get(
    '/cases/:id/disclosures',
    {
      schema: {
        tags,
        summary: 'The disclosure ledger of a case: each item that crossed, to whom, on which consents',
        params: IdParams,
        querystring: DisclosureQuery,
        response: { 200: DisclosurePage, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'disclosure.read', 'disclosure');
      return consents.disclosuresForCase(request.em, actor, request.params.id, request.query, auditContextOf(request));
    },
  );

  app.get(
    '/subjects/:id/disclosures',
    {
      schema: {
        tags,
        summary: 'The disclosure ledger of a subject, across its cases',
        params: IdParams,
        querystring: DisclosureQuery,
        response: { 200: DisclosurePage, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'disclosure.read', 'disclosure');
      return consents.disclosuresForSubject(request.em, actor, request.params.id, request.query, auditContextOf(request));
    },
  );

  app.get(
    '/consents/expiring',
    {
      schema: {
        tags,
        summary: "My agency's active consents that end within the reminder lead time",
        response: { 200: Type.Array(ExpiringConsentOut), ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'consent.read', 'consent');
      return consents.expiring(request.em, actor, auditContextOf(request));
    },
  );

  app.post(
    '/consents/:id/withdraw',
    {
      schema: {
        tags,
        summary: 'Withdraw a consent, with immediate effect (once)',
        params: IdParams,
        body: WithdrawBody,
        response: { 200: ConsentOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'consent.withdraw', 'consent');
      return consents.withdraw(request.em, actor, request.params.id, request.body.reason, auditContextOf(request));
    },
  );

  app.get(
    '/consents/:id/receipt',
    {
      schema: {
        tags,
        summary: 'The signed consent receipt (Kantara Consent Receipt fields, canonical JSON, Ed25519)',
        params: IdParams,
        response: { 200: ReceiptOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'consent.read', 'consent');
      return consents.receipt(request.em, actor, request.params.id, auditContextOf(request));
    },
  );

  app.post(
    '/consents/receipts/verify',
    {
      schema: {
        tags,
        summary: "Check a consent receipt's signature",
        body: VerifyReceiptBody,
        response: { 200: VerifyReceiptOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'consent.receipt.verify', 'consent_receipt');
      return consents.verify(request.em, request.body, auditContextOf(request));
    },
  );
};

/** Not encapsulated, so that `app.consents` (the gate's facts, the ledger) is visible to the cases module. */
export const consentsRoutes = fp(routes, { name: 'consents', dependencies: ['cases'] });
