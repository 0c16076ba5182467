import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import fp from 'fastify-plugin';
import { sql } from '../../db/sql.js';
import { auditContextOf } from '../../plugins/app/audit.js';
import { errorResponses } from '../identity/identity.schemas.js';
import type { DailyDigest } from './digest.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The daily e-mail digest: run by pg-boss once the server starts it; tests call runOnce(). */
    digest: DailyDigest;
  }
}

const NotificationsOut = Type.Object(
  {
    /** The daily digest e-mail is on. */
    digest: Type.Boolean(),
    /** Where it goes (null: no address on record, so no digest). */
    email: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
const NotificationsBody = Type.Object({ digest: Type.Boolean() }, { additionalProperties: false });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.digest.attach(app);

  app.get(
    '/me/notifications',
    {
      schema: { tags: ['auth'], summary: 'My notification settings', response: { 200: NotificationsOut, ...errorResponses(401) } },
    },
    async (request) => {
      const [row] = await sql<{ digest: boolean; email: string | null }>(request.em, 'SELECT digest, email FROM app_user WHERE id = ?', [
        request.actor!.id,
      ]);
      return row!;
    },
  );

  app.put(
    '/me/notifications',
    {
      schema: {
        tags: ['auth'],
        summary: 'Turn my daily digest e-mail on or off',
        body: NotificationsBody,
        response: { 200: NotificationsOut, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const actor = request.actor!;
      // The change and its audit event in one statement.
      const audit = app.audit.insertStatement(auditContextOf(request), [
        {
          action: 'user.notifications.update',
          resourceType: 'user',
          resourceId: actor.id,
          outcome: 'allowed',
          reason: request.body.digest ? 'digest_on' : 'digest_off',
        },
      ]);
      const [row] = await sql<{ digest: boolean; email: string | null }>(
        request.em,
        `WITH audit AS (${audit.text}) UPDATE app_user SET digest = ? WHERE id = ? RETURNING digest, email`,
        [...audit.params, request.body.digest, actor.id],
      );
      return row!;
    },
  );
};

export const notificationsRoutes = fp(routes, { name: 'notifications', dependencies: ['consents'] });
