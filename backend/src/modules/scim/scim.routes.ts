import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyRequest } from 'fastify';
import { HttpProblem } from '../../lib/problem.js';
import { auditContextOf, type AuditContext } from '../../plugins/app/audit.js';
import { errorResponses } from '../identity/identity.schemas.js';
import { registerScimWire } from './scim.errors.js';
import { parseUserFilter } from './scim.filter.js';
import {
  SCIM,
  SCIM_MAX_RESULTS,
  SCIM_MEDIA_TYPE,
  ScimIdParams,
  ScimListOut,
  ScimListQuery,
  ScimPatchBody,
  ScimTokenCreatedOut,
  ScimTokenOut,
  ScimTokenParams,
  ScimUserBody,
  ScimUserOut,
  ServiceProviderConfigOut,
  scimErrorResponses,
} from './scim.schemas.js';
import { ScimUsers } from './scim.service.js';
import { ScimTokens, type ScimClient } from './scim.tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    scimClient: ScimClient | null;
  }
  interface FastifyContextConfig {
    /** The audit action of a SCIM route, for its refusals. */
    scimAction?: string;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TAGS = ['scim'];
const SECURITY = [{ bearer: [] }];
const WIRE = { consumes: [SCIM_MEDIA_TYPE, 'application/json'], produces: [SCIM_MEDIA_TYPE] };
/** The answers every SCIM route can give (the shared layers' refusals, as SCIM errors). */
const COMMON = [400, 401, 414, 429, 500, 503];
const WITH_BODY = [413, 415];

/**
 * SCIM 2.0 (RFC 7643/7644) for an agency's directory, under /scim/v2: its users, found, created,
 * updated and deactivated with a bearer token of that agency (`ScimTokens`). Outside the session
 * world (`public` to the sign-in check): the token is checked here, after the request is
 * validated, so that a malformed request is told what is wrong with it like everywhere else.
 */
export const scimRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tokens = new ScimTokens(app);
  const users = new ScimUsers(app);
  registerScimWire(app);
  app.decorateRequest('scimClient', null);

  // A directory syncs in bursts; the budget is per address, checked before anything else.
  const limiter = app.createRateLimit({
    max: app.config.RATE_LIMIT_SCIM_PER_MINUTE,
    timeWindow: 60_000,
    keyGenerator: (request) => `scim:${normalizeIP(request.ip)}`,
  });
  app.addHook('onRequest', async (request) => {
    const result = await limiter(request);
    if (result.isAllowed || !result.isExceeded) return;
    const wait = Math.max(1, result.ttlInSeconds);
    request.log.warn({ budget: 'scim' }, 'rate limited');
    throw new HttpProblem(429, 'rate_limited', 'Too many requests', `Wait ${wait} seconds before trying again.`, {
      'retry-after': String(wait),
    });
  });

  const ctxOf = (request: FastifyRequest): AuditContext =>
    request.scimClient ? ScimUsers.auditContext(auditContextOf(request), request.scimClient) : auditContextOf(request);

  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.config.scimAction === undefined) return;
    request.scimClient = await tokens.authenticate(request.em, request.headers.authorization, auditContextOf(request));
  });

  // Refused input is audited (which attribute or rule, never the value); 401 and 404 are audited where they are decided.
  app.addHook('onError', async (request, _reply, error: FastifyError | HttpProblem) => {
    const status = error instanceof HttpProblem ? error.status : (error.statusCode ?? 500);
    const action = request.routeOptions.config.scimAction;
    if (!action || status < 400 || status >= 500 || status === 401 || status === 404 || status === 429) return;
    const code = error instanceof HttpProblem ? error.code : error.validation ? 'validation' : `http_${status}`;
    try {
      const id = (request.params as { id?: unknown } | undefined)?.id;
      await app.audit.record(request.em, ctxOf(request), {
        action,
        resourceType: 'user',
        resourceId: typeof id === 'string' && UUID.test(id) ? id : null,
        outcome: 'denied',
        reason: `invalid:${code}`,
      });
    } catch (e) {
      request.log.error({ err: { type: (e as Error).name, code: (e as { code?: string }).code } }, 'could not record the audit event');
    }
  });

  app.get(
    '/ServiceProviderConfig',
    {
      config: { public: true },
      schema: {
        tags: TAGS,
        summary: 'What this SCIM service supports (no token needed)',
        security: [],
        ...WIRE,
        response: { 200: ServiceProviderConfigOut, ...scimErrorResponses(400, 414, 429, 500, 503) },
      },
    },
    async () => ({
      schemas: [SCIM.serviceProviderConfig],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: SCIM_MAX_RESULTS },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
      authenticationSchemes: [
        {
          type: 'oauthbearertoken',
          name: 'Bearer token',
          description: 'A token of the agency, created by an administrator of Samverka.',
          primary: true,
        },
      ],
      meta: { resourceType: 'ServiceProviderConfig' as const, location: '/scim/v2/ServiceProviderConfig' },
    }),
  );

  app.get(
    '/Users',
    {
      config: { public: true, scimAction: 'scim.user.list' },
      schema: {
        tags: TAGS,
        summary: "The agency's users: filter userName eq or externalId eq, pages by startIndex and count",
        security: SECURITY,
        querystring: ScimListQuery,
        ...WIRE,
        response: { 200: ScimListOut, ...scimErrorResponses(...COMMON) },
      },
    },
    async (request) => {
      const filter = parseUserFilter(request.query.filter);
      return users.list(request.em, request.scimClient!, filter, request.query.startIndex, request.query.count, ctxOf(request));
    },
  );

  app.post(
    '/Users',
    {
      config: { public: true, scimAction: 'scim.user.create' },
      schema: {
        tags: TAGS,
        summary: 'Create a user of the agency (role partner; roles are given in Samverka)',
        security: SECURITY,
        body: ScimUserBody,
        ...WIRE,
        response: { 201: ScimUserOut, ...scimErrorResponses(...COMMON, ...WITH_BODY, 409) },
      },
    },
    async (request, reply) => {
      const user = await users.create(request.em, request.scimClient!, request.body, ctxOf(request));
      return reply.code(201).header('location', user.meta.location).send(user);
    },
  );

  app.get(
    '/Users/:id',
    {
      config: { public: true, scimAction: 'scim.user.read' },
      schema: {
        tags: TAGS,
        summary: 'One user of the agency',
        security: SECURITY,
        params: ScimIdParams,
        ...WIRE,
        response: { 200: ScimUserOut, ...scimErrorResponses(...COMMON, 404) },
      },
    },
    async (request) => users.get(request.em, request.scimClient!, request.params.id, ctxOf(request)),
  );

  app.put(
    '/Users/:id',
    {
      config: { public: true, scimAction: 'scim.user.replace' },
      schema: {
        tags: TAGS,
        summary: 'Replace what SCIM sets on a user of the agency',
        security: SECURITY,
        params: ScimIdParams,
        body: ScimUserBody,
        ...WIRE,
        response: { 200: ScimUserOut, ...scimErrorResponses(...COMMON, ...WITH_BODY, 404, 409) },
      },
    },
    async (request) => users.replace(request.em, request.scimClient!, request.params.id, request.body, ctxOf(request)),
  );

  app.patch(
    '/Users/:id',
    {
      config: { public: true, scimAction: 'scim.user.patch' },
      schema: {
        tags: TAGS,
        summary: 'Change a user of the agency (PatchOp); active false ends their sessions at once',
        security: SECURITY,
        params: ScimIdParams,
        body: ScimPatchBody,
        ...WIRE,
        response: { 200: ScimUserOut, ...scimErrorResponses(...COMMON, ...WITH_BODY, 404, 409) },
      },
    },
    async (request) => users.patch(request.em, request.scimClient!, request.params.id, request.body, ctxOf(request)),
  );

  app.delete(
    '/Users/:id',
    {
      config: { public: true, scimAction: 'scim.user.delete' },
      schema: {
        tags: TAGS,
        summary: 'Deactivate a user of the agency and end their sessions (the record is kept for the audit trail)',
        security: SECURITY,
        params: ScimIdParams,
        ...WIRE,
        response: { 204: Type.Null(), ...scimErrorResponses(...COMMON, 404) },
      },
    },
    async (request, reply) => {
      await users.remove(request.em, request.scimClient!, request.params.id, ctxOf(request));
      return reply.code(204).send(null);
    },
  );
};

const TokenAgencyParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

/** An admin's SCIM tokens of an agency, under /api: create (shown once), list, revoke. */
export const scimTokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tokens = new ScimTokens(app);

  app.get(
    '/admin/agencies/:id/scim-tokens',
    {
      schema: {
        tags: ['admin'],
        summary: "The agency's SCIM tokens (never the tokens themselves)",
        params: TokenAgencyParams,
        response: { 200: Type.Array(ScimTokenOut), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      await app.requireAction(request, 'admin.agencies.read', 'agency');
      return tokens.list(request.em, request.params.id, auditContextOf(request));
    },
  );

  app.post(
    '/admin/agencies/:id/scim-tokens',
    {
      schema: {
        tags: ['admin'],
        summary: 'A new SCIM token for the agency’s directory: shown once, kept only as a hash',
        params: TokenAgencyParams,
        response: { 201: ScimTokenCreatedOut, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await app.requireAction(request, 'admin.agencies.write', 'agency');
      const { id, agencyId, createdAt, token } = await tokens.create(request.em, request.params.id, auditContextOf(request));
      return reply.code(201).send({ id, agencyId, createdAt, token });
    },
  );

  app.delete(
    '/admin/agencies/:id/scim-tokens/:tokenId',
    {
      schema: {
        tags: ['admin'],
        summary: 'Revoke a SCIM token: its next request is refused',
        params: ScimTokenParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await app.requireAction(request, 'admin.agencies.write', 'agency');
      await tokens.revoke(request.em, request.params.id, request.params.tokenId, auditContextOf(request));
      return reply.code(204).send(null);
    },
  );
};
