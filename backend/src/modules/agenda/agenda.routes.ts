import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditContextOf } from '../../plugins/app/audit.js';
import { errorResponses } from '../identity/identity.schemas.js';
import { AgendaOut } from './agenda.schemas.js';
import { AgendaService } from './agenda.service.js';

export const agendaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const agenda = new AgendaService(app);

  app.get(
    '/me/agenda',
    {
      schema: {
        tags: ['agenda'],
        summary: 'The start page: what waits for me today, in the cases I may see',
        response: { 200: AgendaOut, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const actor = await app.requireAction(request, 'agenda.read', 'agenda');
      return agenda.agenda(request.em, actor, auditContextOf(request));
    },
  );
};
