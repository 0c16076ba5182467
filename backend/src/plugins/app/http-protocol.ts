import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../../lib/problem.js';

/**
 * The longest request target (path and query) the API reads. Node's parser refuses a request
 * line and headers over 16 KiB together (431); below that, longer URLs get 414 from here.
 */
export const MAX_URL_LENGTH = 8192;

const URI_TOO_LONG = `The address is longer than the service accepts (${MAX_URL_LENGTH} characters). Send long search terms in the body instead.`;
const uriTooLong = (): HttpProblem => new HttpProblem(414, 'uri_too_long', 'Address too long', URI_TOO_LONG);

/** Refuses an over-long URL before anything reads it. */
export function registerUrlLimit(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (request.url.length > MAX_URL_LENGTH) throw uriTooLong();
  });
}

/**
 * The router's own refusals (a path that is not valid percent-encoded UTF-8, a path segment
 * over `maxParamLength`) go through the one error handler like every other problem; Fastify
 * would otherwise answer plain JSON that echoes the path.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // Called before routing, where the app's error handler is not yet in reach: the body is built here.
  const p =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? uriTooLong()
      : new HttpProblem(
          400,
          'bad_url',
          'Invalid address',
          'The address is not valid (broken percent-encoding or characters that are not UTF-8). Check it and try again.',
        );
  void reply
    .code(p.status)
    .type('application/problem+json')
    .header('cache-control', 'no-store')
    .header('x-request-id', request.id)
    .send(
      JSON.stringify({
        type: `urn:samverka:problem:${p.code}`,
        title: p.title,
        status: p.status,
        detail: p.detail,
        requestId: String(request.id),
      }),
    );
}

/** A find-my-way route pattern (`/api/cases/:id`) as a regular expression over a request path. */
function patternToRegExp(url: string): RegExp {
  const body = url
    .split('/')
    .map((seg) =>
      seg
        .split(/(:[A-Za-z0-9_]+(?:\([^)]*\))?|\*)/)
        .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join(''),
    )
    .join('/');
  return new RegExp(`^${body}/?$`);
}

/**
 * Remembers the method of every route by its pattern, so that a request for a known path with
 * a method it does not have can be answered 405 with `Allow` instead of 404. Call before any route.
 */
export function collectRouteMethods(app: FastifyInstance): (path: string) => string[] {
  const routes = new Map<string, { re: RegExp; methods: Set<string> }>();
  app.addHook('onRoute', (route) => {
    const entry = routes.get(route.url) ?? { re: patternToRegExp(route.url), methods: new Set<string>() };
    for (const m of [route.method].flat()) entry.methods.add(m.toUpperCase());
    routes.set(route.url, entry);
  });
  return (url) => {
    const path = url.split('?', 1)[0]!;
    const methods = new Set<string>();
    for (const r of routes.values()) if (r.re.test(path)) for (const m of r.methods) methods.add(m);
    return [...methods].sort();
  };
}

function rawProblem(status: number, code: string, title: string, detail: string): string {
  // The request never became one: the id is new, given in the header and the body as elsewhere.
  const requestId = randomUUID();
  const body = JSON.stringify({ type: `urn:samverka:problem:${code}`, title, status, detail, requestId });
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * Answers requests Node's HTTP parser refused before Fastify saw them, as problem+json like every
 * other error and without echoing anything of the request. A header overflow whose request line
 * is itself too long is a URL too long (414), otherwise headers too large (431).
 */
export function clientErrorHandler(err: ConnectionError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let answer: string;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    answer = rawProblem(408, 'request_timeout', 'Request timed out', 'The request was not received in time. Try again.');
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    const raw: unknown = err.rawPacket;
    const head = Buffer.isBuffer(raw) ? raw.subarray(0, MAX_URL_LENGTH + 64).toString('latin1') : '';
    const lineEnd = head.indexOf('\r\n');
    answer =
      /^[A-Z]+ /.test(head) && (lineEnd < 0 || lineEnd > MAX_URL_LENGTH)
        ? rawProblem(414, 'uri_too_long', 'Address too long', URI_TOO_LONG)
        : rawProblem(
            431,
            'headers_too_large',
            'Headers too large',
            "The request headers are larger than the service accepts. Clear the site's cookies and try again.",
          );
  } else {
    answer = rawProblem(400, 'bad_request', 'Invalid request', 'The request could not be read; check it and try again.');
  }
  if (socket.writable) socket.write(answer);
  socket.destroy();
}
