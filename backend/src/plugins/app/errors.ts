import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { databaseReachable, isDatabaseUnavailable, isLostTransaction } from '../../db/unavailable.js';
import { HttpProblem } from '../../lib/problem.js';
import { collectRouteMethods } from './http-protocol.js';
import { isUnstorableTextError, UNSTORABLE_TEXT_DETAIL } from '../external/validation.js';

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

function send(
  reply: FastifyReply,
  request: FastifyRequest,
  body: Omit<ProblemBody, 'requestId'>,
  headers: Record<string, string> = {},
): FastifyReply {
  return reply
    .code(body.status)
    .headers(headers)
    .type('application/problem+json')
    .send({ ...body, requestId: String(request.id) });
}

/**
 * The one place errors become answers: application/problem+json, never a stack trace, SQL or an
 * internal message. 5xx details go to the log (with the request id), not to the client.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
    if (error instanceof HttpProblem) {
      // A readiness probe answering 503 while the database is away is the probe working, every few
      // seconds until it is back: a warning, not an error (the pool logs the outage itself).
      if (error.code === 'not_ready') request.log.warn({ code: error.code }, 'not ready');
      else if (error.status >= 500) request.log.error({ code: error.code }, 'request failed');
      return send(
        reply,
        request,
        {
          type: `urn:samverka:problem:${error.code}`,
          title: error.title,
          status: error.status,
          ...(error.detail ? { detail: error.detail } : {}),
          ...(error.errors?.length ? { errors: [...error.errors] } : {}),
        },
        error.headers,
      );
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      const errors = fe.validation.slice(0, 20).map((v) => ({
        path: `${fe.validationContext ?? ''}${v.instancePath || ''}`,
        message:
          v.keyword === 'additionalProperties'
            ? `unknown property '${String((v.params as { additionalProperty?: string }).additionalProperty ?? '')}'`
            : (v.message ?? 'invalid'),
      }));
      return send(reply, request, {
        type: 'urn:samverka:problem:validation',
        title: 'Invalid request',
        status: 400,
        detail: 'Some fields are missing or invalid; correct them and try again.',
        errors,
      });
    }
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    if (status === 413)
      return send(reply, request, {
        type: 'urn:samverka:problem:too_large',
        title: 'Request too large',
        status,
        detail: 'The request body is larger than the service accepts.',
      });
    if (status === 415)
      return send(reply, request, {
        type: 'urn:samverka:problem:unsupported_media_type',
        title: 'Unsupported content type',
        status,
        detail: 'Send the body as application/json.',
      });
    if (status >= 400 && status < 500) {
      // Fastify's own 4xx (malformed JSON, bad headers): a fixed message, not the parser's text.
      const title = status === 400 ? 'Invalid request' : 'Request refused';
      const detail =
        fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.name === 'SyntaxError' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'The body is not valid JSON.'
          : 'The request could not be processed; check it and try again.';
      return send(reply, request, { type: 'urn:samverka:problem:bad_request', title, status, detail });
    }
    // Not a fault of this request: it may be sent again once the database is back.
    const unavailable = (): FastifyReply => {
      request.log.warn({ err: { type: fe.name, code: (fe as { code?: string }).code } }, 'database unavailable');
      return send(
        reply,
        request,
        {
          type: 'urn:samverka:problem:database_unavailable',
          title: 'Temporarily unavailable',
          status: 503,
          detail: 'The service cannot reach its database right now. Try again in a few seconds.',
        },
        { 'retry-after': '5' },
      );
    };
    const internal = (): FastifyReply => {
      // The message and values of database errors can carry personal data: log where, not what.
      request.log.error(
        { err: { type: fe.name, code: fe.code ?? (fe as { code?: string }).code, where: fe.stack?.split('\n').slice(1, 6).join('\n') } },
        'unhandled error',
      );
      return send(reply, request, {
        type: 'urn:samverka:problem:internal',
        title: 'Something went wrong',
        status: 500,
        detail: 'The service could not complete the request. Try again; if it persists, contact support with the request id.',
      });
    };
    if (isUnstorableTextError(error)) {
      return send(reply, request, {
        type: 'urn:samverka:problem:validation',
        title: 'Invalid request',
        status: 400,
        detail: UNSTORABLE_TEXT_DETAIL,
      });
    }
    if (isDatabaseUnavailable(error)) return unavailable();
    if (isLostTransaction(error)) {
      return databaseReachable(app.orm.em.fork(), 1_000).then((up) => {
        if (up) internal();
        else unavailable();
      });
    }
    return internal();
  });

  // A known path asked with a method it does not have: 405 naming the methods it has. Decided by
  // route pattern only, so it never tells whether a resource exists.
  const methodsOf = collectRouteMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const allowed = methodsOf(request.url);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return send(
        reply,
        request,
        {
          type: 'urn:samverka:problem:method_not_allowed',
          title: 'Method not allowed',
          status: 405,
          detail: `This address answers ${allowed.join(', ')} only.`,
        },
        { allow: allowed.join(', ') },
      );
    }
    return send(reply, request, {
      type: 'urn:samverka:problem:not_found',
      title: 'Not found',
      status: 404,
      detail: 'The resource does not exist or you do not have access to it.',
    });
  });
}
