/** A field a problem is about: `path` is a JSON pointer into the request body (`/subject/guardians/1/personalIdentityNumber`). */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * A problem the client caused or may act on, answered as application/problem+json (RFC 9457).
 * `title` and `detail` are shown to users: they say what happened and what to do, and never
 * carry personal data. `errors` names the fields at fault (like a validation problem), never their values.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: readonly FieldError[],
  ) {
    super(title);
  }
}

export const notFound = (): HttpProblem =>
  new HttpProblem(404, 'not_found', 'Not found', 'The resource does not exist or you do not have access to it.');
export const forbidden = (detail = 'Your role does not allow this action.'): HttpProblem =>
  new HttpProblem(403, 'forbidden', 'Forbidden', detail);
export const unauthorized = (detail = 'Sign in again.'): HttpProblem => new HttpProblem(401, 'unauthorized', 'Not signed in', detail);
/** 400; with `path` (a JSON pointer into the body) the answer's `errors` names the field, with `detail` as its message. */
export const badRequest = (detail: string, code = 'bad_request', path?: string | readonly string[]): HttpProblem =>
  new HttpProblem(
    400,
    code,
    'Invalid request',
    detail,
    {},
    path === undefined ? undefined : (typeof path === 'string' ? [path] : path).map((p) => ({ path: p, message: detail })),
  );
export const passwordChangeRequired = (): HttpProblem =>
  new HttpProblem(
    403,
    'password_change_required',
    'Change your password first',
    'You signed in with a one-time password: choose your own password to continue.',
  );
export const conflict = (detail: string, code = 'conflict'): HttpProblem => new HttpProblem(409, code, 'Conflict', detail);
