/**
 * fast-check arbitraries and checks built from the API's own OpenAPI document, so that tests over
 * every operation cover routes added later without being edited.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';

export interface Schema {
  type?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  /** Values the server checks against its policies (documented, not an enum). */
  'x-policy-values'?: string[];
  const?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}
interface Media {
  schema?: Schema;
}
interface Response {
  content?: Record<string, Media>;
}
interface OperationObject {
  operationId?: string;
  summary?: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, Media> };
  responses?: Record<string, Response>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
}

export interface Operation {
  method: string;
  path: string;
  op: OperationObject;
  isPublic: boolean;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => {
      const op = item[method]!;
      return { method: method.toUpperCase(), path, op, isPublic: Array.isArray(op.security) && op.security.length === 0 };
    }),
  );
}

/** The operation's request parts: path and query parameters, and the JSON body schema. */
export function inputsOf(o: Operation): { path: Parameter[]; query: Parameter[]; body?: Schema; bodyRequired: boolean } {
  const ps = o.op.parameters ?? [];
  return {
    path: ps.filter((p) => p.in === 'path'),
    query: ps.filter((p) => p.in === 'query'),
    body: o.op.requestBody?.content?.['application/json']?.schema,
    bodyRequired: o.op.requestBody?.required === true,
  };
}

/** Ids seen in answers so far: generated ids are drawn from them half of the time, to reach real rows. */
export const idPool = new Set<string>();
/** Ids never drawn from the pool (the run's own users: deactivating them would end the run). */
export const sparedIds = new Set<string>();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function harvestIds(value: unknown): void {
  if (typeof value === 'string') {
    if (UUID.test(value) && !sparedIds.has(value)) idPool.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) harvestIds(v);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) harvestIds(v);
  }
}

const uuidArb = fc.oneof(
  fc.uuid(),
  fc.constant(null).chain(() => (idPool.size ? fc.constantFrom(...idPool) : fc.uuid())),
);
const isoDate = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2040-12-31T23:59:59Z'), noInvalidDate: true });

function stringArb(s: Schema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? 40, 40));
  const fit = (x: string): boolean => x.length >= min && x.length <= (s.maxLength ?? Infinity);
  switch (s.format) {
    case 'uuid':
      return uuidArb;
    case 'date-time':
      return isoDate.map((d) => d.toISOString());
    case 'date':
      return isoDate.map((d) => d.toISOString().slice(0, 10));
    case 'email':
      return fc.emailAddress().filter(fit);
    default:
      break;
  }
  if (s.pattern) {
    const re = new RegExp(s.pattern);
    if (s.pattern.startsWith('^')) return fc.stringMatching(re).filter(fit);
    return fc.string({ minLength: Math.max(min, 1), maxLength: max }).filter((x) => re.test(x));
  }
  return fc.string({ minLength: min, maxLength: max });
}

/**
 * Values that satisfy `s` (a JSON schema as @fastify/swagger writes it for OpenAPI 3.0). With
 * `full`, every optional property is present and arrays are not empty, so that every field is there.
 */
export function valueOf(s: Schema | undefined, full = false): fc.Arbitrary<unknown> {
  const inner = (x: Schema | undefined): fc.Arbitrary<unknown> => valueOf(x, full);
  if (!s) return fc.constant({});
  const base = ((): fc.Arbitrary<unknown> => {
    if (s.const !== undefined) return fc.constant(s.const);
    if (s.enum) return fc.constantFrom(...s.enum);
    // Mostly the configured values, to get past the server's check; sometimes anything else.
    if (s['x-policy-values']?.length)
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...s['x-policy-values']) }, { weight: 1, arbitrary: stringArb(s) });
    if (s.anyOf) return fc.oneof(...s.anyOf.map(inner));
    if (s.oneOf) return fc.oneof(...s.oneOf.map(inner));
    if (s.allOf) return inner(Object.assign({}, ...s.allOf) as Schema);
    switch (s.type) {
      case 'string':
        return stringArb(s);
      case 'integer':
        return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000 });
      case 'number':
        return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000, noNaN: true, noDefaultInfinity: true });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array': {
        const minLength = Math.max(s.minItems ?? 0, full ? 1 : 0);
        const maxLength = Math.max(minLength, Math.min(s.maxItems ?? 3, 3));
        return s.uniqueItems
          ? fc.uniqueArray(inner(s.items), { minLength, maxLength, selector: (v) => JSON.stringify(v) })
          : fc.array(inner(s.items), { minLength, maxLength });
      }
      case 'object':
      default: {
        const props = s.properties ?? {};
        const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, inner(v)]));
        const rec = fc.record(model, { requiredKeys: full ? Object.keys(props) : (s.required ?? []).filter((k) => k in props) });
        return s.minProperties ? rec.filter((o) => Object.keys(o).length >= s.minProperties!) : rec;
      }
    }
  })();
  return s.nullable && !full ? fc.option(base, { nil: null, freq: 5 }) : base;
}

/** Text that PostgreSQL cannot store or that a careless parser trips over. */
export const BAD_TEXTS = ['\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\udfff\ud800', '%00', '\u0000'.repeat(3)];

/** Values a client might send by mistake or on purpose: wrong types, text the database cannot store, huge or odd strings. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...BAD_TEXTS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'null',
      '-1',
      '0',
      '1e309',
      'NaN',
      '../..',
      "'; DROP TABLE x; --",
      '9'.repeat(40),
      'a'.repeat(5000),
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Every place in a JSON value (as key paths), the value itself included as []. */
export function placesOf(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => placesOf(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) placesOf(x, [...at, k], out);
  return out;
}

/** `root` with the value at `place` replaced (or removed, with `drop`); the root itself when `place` is empty. */
export function replaceAt(root: unknown, place: (string | number)[], value: unknown, drop = false): unknown {
  if (place.length === 0) return value;
  const parent = place.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], root) as
    Record<string | number, unknown> | unknown[];
  const key = place.at(-1)!;
  if (drop && Array.isArray(parent)) parent.splice(Number(key), 1);
  else if (drop) delete (parent as Record<string, unknown>)[key];
  else (parent as Record<string | number, unknown>)[key] = value;
  return root;
}

export interface GeneratedRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body?: unknown;
  /** Sent as is instead of `body` as JSON: a broken body or a wrong content type. */
  raw?: { payload: string; contentType: string };
}

const RAW_PAYLOADS = ['{', '{"a":', '}', '[]', 'null', '"x"', '{"a":1}}', '', 'not json', '\u0000', '{"__proto__":{"x":1}}', 'a=1&b=2'];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  'multipart/form-data',
];

/** A request that the operation's schemas accept (`full`: with every optional field). */
export function validRequest(o: Operation, full = false): fc.Arbitrary<GeneratedRequest> {
  const { path, query, body } = inputsOf(o);
  return fc.record({
    params: fc.record(Object.fromEntries(path.map((p) => [p.name, valueOf(p.schema, full).map(String)]))) as fc.Arbitrary<
      Record<string, string>
    >,
    query: fc.record(Object.fromEntries(query.map((p) => [p.name, valueOf(p.schema, full)])), {
      requiredKeys: query.filter((p) => full || p.required).map((p) => p.name),
    }),
    ...(body ? { body: valueOf(body, full) } : {}),
  });
}

type Mutation = 'param' | 'query' | 'extraQuery' | 'bodyValue' | 'extraBodyField' | 'dropBodyValue' | 'rawBody';

/** A valid request with one thing spoiled, at any depth of the body. */
export function invalidRequest(o: Operation): fc.Arbitrary<GeneratedRequest> {
  const { path, query, body } = inputsOf(o);
  const kinds: Mutation[] = ['extraQuery'];
  if (path.length) kinds.push('param', 'param');
  if (query.length) kinds.push('query', 'query');
  if (body) kinds.push('bodyValue', 'bodyValue', 'bodyValue', 'extraBodyField', 'dropBodyValue', 'rawBody');
  return fc
    .record({
      req: validRequest(o),
      kind: fc.constantFrom(...kinds),
      pick: fc.nat(),
      value: junk,
      key: fc.string({ minLength: 1, maxLength: 12 }),
      raw: fc.record({ payload: fc.constantFrom(...RAW_PAYLOADS), contentType: fc.constantFrom(...CONTENT_TYPES) }),
    })
    .map(({ req, kind, pick, value, key, raw }) => {
      const out: GeneratedRequest = {
        params: { ...req.params },
        query: { ...req.query },
        ...(body ? { body: structuredClone(req.body) } : {}),
      };
      const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
      const places = placesOf(out.body);
      const place = places[pick % places.length]!;
      switch (kind) {
        case 'param':
          out.params[path[pick % path.length]!.name] = text || 'x';
          break;
        case 'query':
          out.query[query[pick % query.length]!.name] = text;
          break;
        case 'extraQuery':
          out.query[key] = text;
          break;
        case 'rawBody':
          out.raw = raw;
          break;
        case 'bodyValue':
          out.body = replaceAt(out.body, place, value);
          break;
        case 'dropBodyValue':
          out.body = place.length ? replaceAt(out.body, place, undefined, true) : undefined;
          break;
        case 'extraBodyField': {
          const objects = places.filter((p) => {
            const v = p.reduce<unknown>((x, k) => (x as Record<string | number, unknown>)[k], out.body);
            return v !== null && typeof v === 'object' && !Array.isArray(v);
          });
          if (objects.length === 0) out.body = value;
          else replaceAt(out.body, [...objects[pick % objects.length]!, key], value);
          break;
        }
      }
      return out;
    });
}

/**
 * Percent-encodes like encodeURIComponent, but an unpaired surrogate (which it refuses) is sent
 * as the three bytes a careless encoder would write for it (CESU-8: invalid UTF-8), as a
 * real client could.
 */
export function encodeLoose(s: string): string {
  return s.replace(/[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g, (c) => {
    if (c.length === 2 || c.charCodeAt(0) < 0xd800 || c.charCodeAt(0) > 0xdfff) return encodeURIComponent(c);
    const u = c.charCodeAt(0);
    return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
  });
}

/** The URL of a generated request: path parameters filled in (encoded), query parameters appended. */
export function urlOf(o: Operation, req: GeneratedRequest): string {
  const path = o.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeLoose(req.params[name] ?? ''));
  const q: string[] = [];
  for (const [k, v] of Object.entries(req.query)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) q.push(`${encodeLoose(k)}=${encodeLoose(typeof x === 'string' ? x : JSON.stringify(x))}`);
  }
  return q.length ? `${path}?${q.join('&')}` : path;
}

/** Checks answers against the document: the status is documented for the operation and the body matches its schema. */
export class ResponseChecker {
  private readonly ajv = addFormats.default(new Ajv.default({ strict: false, allErrors: true }));
  private readonly cache = new Map<Schema, ValidateFunction>();

  /** The problems with `res` as an answer of `o` (empty when it matches the document). */
  check(o: Operation, res: LightMyRequestResponse): string[] {
    const documented = o.op.responses?.[String(res.statusCode)] ?? o.op.responses?.default;
    if (!documented) return [`status ${res.statusCode} is not documented (documented: ${Object.keys(o.op.responses ?? {}).join(', ')})`];
    const type = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    if (!type) return res.body.length === 0 || !documented.content ? [] : ['a body without a content type'];
    const media = documented.content?.[type];
    if (!media)
      return [
        `content type ${type} is not documented for ${res.statusCode} (documented: ${Object.keys(documented.content ?? {}).join(', ') || 'none'})`,
      ];
    if (!media.schema || !/json$/.test(type) || type === 'application/x-ndjson') return [];
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      return [`the ${type} body is not JSON`];
    }
    let validate = this.cache.get(media.schema);
    if (!validate) {
      validate = this.ajv.compile(media.schema);
      this.cache.set(media.schema, validate);
    }
    return validate(body) ? [] : (validate.errors ?? []).slice(0, 5).map((e) => `body${e.instancePath} ${e.message ?? 'invalid'}`);
  }
}
