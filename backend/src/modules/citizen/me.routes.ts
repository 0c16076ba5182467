import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses } from '../identity/identity.schemas.js';
import { sessionExpiresAt } from './citizen.plugin.js';

const RelationOut = Type.Object(
  {
    subjectId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    as: Type.Union([Type.Literal('subject'), Type.Literal('guardian')]),
    access: Type.Union([Type.Literal('full'), Type.Literal('contact_social_worker')]),
    firstName: Type.Union([Type.String(), Type.Null()]),
    age: Type.Union([Type.Integer(), Type.Null()]),
  },
  { additionalProperties: false },
);

const MeOut = Type.Object(
  {
    relations: Type.Array(RelationOut),
    sessionExpiresAt: Type.String({ format: 'date-time' }),
    signatureFreshUntil: Type.String({ format: 'date-time', description: 'Until then, answering and withdrawing need no new sign-in' }),
  },
  { additionalProperties: false },
);

/** The signed-in citizen: whom they may see, and how long the sign-in lasts. */
export const citizenMeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const policy = app.policy.policies.citizen;

  app.get(
    '/citizen/me',
    {
      config: { citizen: true, audit: { action: 'citizen.me.read', resourceType: 'citizen_session' } },
      schema: {
        tags: ['citizen'],
        summary: 'Who the signed-in citizen may see (their own case, or their children as guardian with custody) and until when',
        response: { 200: MeOut, ...errorResponses(401) },
      },
    },
    async (request) => {
      const actor = await app.citizen.require(request);
      const { relations } = await app.citizen.scope(request.em, actor);
      const event = {
        action: 'citizen.me.read',
        resourceType: 'citizen_session',
        resourceId: actor.sessionId,
        outcome: 'allowed',
      } as const;
      // Each relation is recorded as that person (the subject or the guardian row), about that subject.
      if (relations.length === 0) await app.audit.record(request.em, app.citizen.auditContext(request, null), event);
      else {
        await Promise.all(
          relations.map((r) => app.audit.record(request.em, app.citizen.auditContext(request, r), { ...event, subjectId: r.subjectId })),
        );
      }
      return {
        // Protected: the page says only "contact your social worker", nothing about whom it concerns.
        relations: relations.map((r) =>
          r.access === 'full'
            ? { subjectId: r.subjectId, as: r.as, access: r.access, firstName: r.firstName, age: r.age }
            : { subjectId: null, as: r.as, access: r.access, firstName: null, age: null },
        ),
        sessionExpiresAt: sessionExpiresAt(actor).toISOString(),
        signatureFreshUntil: new Date(actor.authenticatedAt.getTime() + policy.signatureFreshMinutes * 60_000).toISOString(),
      };
    },
  );
};
