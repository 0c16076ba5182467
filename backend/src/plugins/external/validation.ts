import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from '../../lib/problem.js';

/**
 * Text PostgreSQL cannot store: NUL (refused in `text` and `jsonb`), and an unpaired UTF-16
 * surrogate (no UTF-8 form: silently replaced in `text`, refused in `jsonb`).
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = (s: string): boolean => s.includes('\u0000') || LONE_SURROGATE.test(s);

const pointer = (key: string | number): string => `/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

interface Place {
  v: unknown;
  up: Place | null;
  key: string | number;
}

const pathOf = (p: Place): string => {
  let path = '';
  for (let at: Place | null = p; at?.up; at = at.up) path = pointer(at.key) + path;
  return path;
};

/**
 * The path (`body/subject/firstName`, like a validation error's) of the first string in `value`
 * that holds unstorable text (or of the object with such a property name), or null. Iterative,
 * so a deeply nested body cannot overflow the stack; the path is spelt out only on a hit.
 */
export function findUnstorableText(value: unknown, root: string): string | null {
  const stack: Place[] = [{ v: value, up: null, key: '' }];
  while (stack.length) {
    const p = stack.pop()!;
    const v = p.v;
    if (typeof v === 'string') {
      if (unstorable(v)) return root + pathOf(p);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], up: p, key: i });
    } else if (v !== null && typeof v === 'object') {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        // A bad property name: the object holding it is named, not the name itself.
        if (unstorable(k)) return root + pathOf(p);
        stack.push({ v: (v as Record<string, unknown>)[k], up: p, key: k });
      }
    }
  }
  return null;
}

/**
 * Is this PostgreSQL refusing text it cannot store, at any depth of causes? As a parameter:
 * 22021 character_not_in_repertoire, 22P05 untranslatable_character. Inlined into the statement
 * (MikroORM's queries do that): the NUL ends the protocol's C string, 08P01 "invalid message
 * format". Text the hook below could not see (a multipart field read by a handler) may still
 * get there: the client's fault, a 400 (not an outage, nor a 500).
 */
export function isUnstorableTextError(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (code === '22021' || code === '22P05' || (code === '08P01' && /invalid message format/.test(error.message))) return true;
  return isUnstorableTextError(error.cause, depth + 1);
}

export const UNSTORABLE_TEXT_DETAIL =
  'A text holds a character that cannot be stored (a NUL character or a broken Unicode sequence). Remove it and try again.';

/**
 * Two validators: bodies are validated strictly (no type coercion, unknown properties rejected);
 * query strings and path parameters are strings on the wire and are coerced to their declared types.
 * Before either, every text of the request (at any depth) must be storable: one check for every
 * route, so no text field can reach the database with a NUL and fail there.
 */
export function registerValidation(app: FastifyInstance): void {
  const common = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false } as const;
  const strict = addFormats.default(new Ajv.default({ ...common, coerceTypes: false }));
  const coercing = addFormats.default(new Ajv.default({ ...common, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));

  app.addHook('preValidation', async (request) => {
    const path =
      findUnstorableText(request.params, 'params') ??
      findUnstorableText(request.query, 'querystring') ??
      findUnstorableText(request.body, 'body');
    if (path === null) return;
    // A validation problem like a schema's: clients already show `validation` with its field paths.
    throw new HttpProblem(400, 'validation', 'Invalid request', UNSTORABLE_TEXT_DETAIL, {}, [
      { path, message: 'contains a NUL character or a broken Unicode sequence' },
    ]);
  });
}
