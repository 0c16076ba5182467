import type { FastifyInstance } from 'fastify';
import { HttpProblem, notFound } from '../../lib/problem.js';
import { SCIM, SCIM_MEDIA_TYPE, type ScimErrorOut } from './scim.schemas.js';

/** The `scimType` values of RFC 7644 §3.12 this service answers with. */
export type ScimType =
  'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue';
const SCIM_TYPES: ReadonlySet<string> = new Set<ScimType>([
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
]);

/**
 * A SCIM refusal. Thrown like every other problem (the one error handler answers it), and turned
 * into a SCIM error body on the way out (`registerScimWire`); the scimType travels as its code.
 */
export const scimProblem = (status: number, scimType: ScimType, detail: string): HttpProblem =>
  new HttpProblem(status, scimType, status === 409 ? 'Conflict' : 'Invalid request', detail);

interface ProblemJson {
  type?: string;
  status?: number;
  detail?: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
}

/** A problem+json answer (RFC 9457) as a SCIM error (RFC 7644 §3.12), keeping its detail, request id and field paths. */
export function scimErrorOf(problem: ProblemJson, status: number): ScimErrorOut {
  const code = problem.type?.startsWith('urn:samverka:problem:') ? problem.type.slice('urn:samverka:problem:'.length) : '';
  const scimType = SCIM_TYPES.has(code)
    ? code
    : code === 'validation'
      ? 'invalidValue'
      : code === 'bad_request'
        ? 'invalidSyntax'
        : undefined;
  return {
    schemas: [SCIM.error],
    status: String(problem.status ?? status),
    ...(scimType ? { scimType } : {}),
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...(problem.requestId ? { requestId: problem.requestId } : {}),
    ...(problem.errors?.length ? { errors: problem.errors } : {}),
  };
}

/**
 * The SCIM wire format for every route of the scope: bodies of `application/scim+json` (as well as
 * `application/json`) are read as JSON; answers go out as `application/scim+json`, errors as SCIM
 * errors. Errors are still made by the API's one error handler (5xx details stay in the log) and
 * only rewritten here, so every refusal of the shared layers (validation, limits, outages) is covered.
 */
export function registerScimWire(app: FastifyInstance): void {
  app.addContentTypeParser(SCIM_MEDIA_TYPE, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'ignore'));
  app.setNotFoundHandler(async () => {
    throw notFound();
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('application/problem+json') && typeof payload === 'string') {
      reply.type(`${SCIM_MEDIA_TYPE}; charset=utf-8`);
      let problem: ProblemJson;
      try {
        problem = JSON.parse(payload) as ProblemJson;
      } catch {
        problem = {};
      }
      return JSON.stringify(scimErrorOf(problem, reply.statusCode));
    }
    if (type.startsWith('application/json')) reply.type(`${SCIM_MEDIA_TYPE}; charset=utf-8`);
    return payload;
  });
}
