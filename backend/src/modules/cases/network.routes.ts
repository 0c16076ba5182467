import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { errorResponses } from '../identity/identity.schemas.js';
import { NetworkContactOut, NetworkParams, UpdateContactBody } from './network.schemas.js';
import type { NetworkService } from './network.service.js';

type App = Parameters<FastifyPluginAsyncTypebox>[0];

/** The network around the person (the case's page shows it): one agency's contact changed. */
export function networkRoutes(app: App, network: NetworkService): void {
  app.patch(
    '/cases/:id/network/:agencyId',
    {
      config: { audit: { action: 'case.contact.update', resourceType: 'agency' } },
      schema: {
        tags: ['cases'],
        summary:
          "Name or clear an agency's contact in the case's network (owning unit: every agency; a participant: its own); 409 `not_participant` if the agency does not take part",
        params: NetworkParams,
        body: UpdateContactBody,
        response: { 200: NetworkContactOut, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request) =>
      network.updateContact(request.em, request.actor!, request.params.id, request.params.agencyId, request.body, auditContextOf(request)),
  );
}
