import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { errorResponses } from '../../modules/identity/identity.schemas.js';

/** The slice of an OpenAPI 3.0 document this file edits. */
interface JsonSchema {
  type?: string;
  enum?: unknown[];
  'x-policy-values'?: string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: JsonSchema;
}
interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, unknown>;
}
interface Document {
  paths?: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** `get /api/cases/{id}/entries` → `getCasesByIdEntries`: stable while the route exists. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .replace(/^\/api(?=\/|$)/, '')
    .split('/')
    .filter(Boolean)
    .flatMap((seg) => (seg.startsWith('{') ? ['by', ...seg.slice(1, -1).split(/[^A-Za-z0-9]+/)] : seg.split(/[^A-Za-z0-9]+/)))
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/**
 * Answers every operation can give whatever its route declares: they come from the layers in
 * front of the handlers (validation, session check, body parser, rate limits, shutdown and
 * database outages), so they are documented here once, where those layers are registered.
 */
function genericResponses(schema: FastifySchema, isPublic: boolean, hasPathParams: boolean): Record<number, unknown> {
  const hasBody = schema.body !== undefined;
  return {
    // Any request can be malformed: a broken URL encoding, text that cannot be stored, bad JSON.
    ...errorResponses(400),
    ...(isPublic ? {} : errorResponses(401)),
    ...(hasPathParams ? errorResponses(404) : {}),
    ...(hasBody ? errorResponses(413, 415) : {}),
    ...errorResponses(414, 429, 500, 503),
  };
}

/**
 * Request fields whose values the server checks against a list in `policies/`. The lists are
 * configuration, different per municipality: they are documented (a description, and the values
 * loaded now as `x-policy-values`), not made an `enum`, which a client generated from one
 * deployment's document would compile in.
 */
type PolicyLists = Record<string, { values: string[]; description: string }>;

function policyListsOf(app: FastifyInstance): PolicyLists {
  const { areas, categories: categoryPolicy, lifeAreas } = app.policy.policies;
  const categories = Object.keys(categoryPolicy.categories);
  const checked = 'checked by the server; `x-policy-values` lists the values configured now';
  return {
    area: { values: areas.areas, description: `One of the areas of policies/areas.yaml (${checked}).` },
    category: { values: categories, description: `One of the categories of policies/categories.yaml (${checked}).` },
    categories: { values: categories, description: `Categories of policies/categories.yaml (${checked}).` },
    lifeArea: {
      values: [...new Set(Object.values(lifeAreas).flat())],
      description: `One of the life areas of the case's type in policies/life-areas.yaml (${checked}).`,
    },
  };
}

/** Documents the policy lists on request fields named like them (`area`, `category`, …), at any depth. */
function addPolicyLists(schema: JsonSchema | undefined, lists: PolicyLists, name?: string): void {
  if (!schema) return;
  const known = name !== undefined && Object.hasOwn(lists, name) ? lists[name] : undefined;
  if (known) {
    const target = schema.type === 'array' ? schema.items : schema;
    if (target?.type === 'string' && !target.enum) {
      target['x-policy-values'] = [...known.values];
      schema.description ??= known.description;
    }
  }
  for (const [k, v] of Object.entries(schema.properties ?? {})) addPolicyLists(v, lists, k);
  for (const v of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) addPolicyLists(v, lists, name);
}

/** Makes the document say what the API does, for every route, without each route repeating it. */
function completeDocument(doc: Document, lists: PolicyLists): Document {
  const seen = new Map<string, string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      op.operationId ??= operationIdOf(method, path);
      const clash = seen.get(op.operationId);
      if (clash) throw new Error(`OpenAPI operationId ${op.operationId} is used by ${clash} and ${where}`);
      seen.set(op.operationId, where);
      op.summary ??= where;
      for (const p of op.parameters ?? []) {
        // A parameter with a default may be left out: the validator fills it in.
        if (p.in !== 'path' && p.schema?.default !== undefined) p.required = false;
        addPolicyLists(p.schema, lists, p.name);
      }
      for (const media of Object.values(op.requestBody?.content ?? {})) addPolicyLists(media.schema, lists);
    }
  }
  return doc;
}

/**
 * The OpenAPI document (`GET /api/docs/json`), built from the routes' own schemas by
 * @fastify/swagger and completed here: operation ids, the answers of the shared layers, public
 * routes without a security requirement, optional defaulted parameters and the lists of values
 * the server checks against `policies/`.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const lists = policyListsOf(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Samverka API', version: '1.0.0', description: 'Cross-agency case coordination, gated on recorded consent.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: ({ schema, url, route }) => {
      const s: FastifySchema = schema ?? {};
      const isPublic = (route.config as { public?: boolean } | undefined)?.public === true;
      const response = { ...genericResponses(s, isPublic, url.includes(':')), ...(s.response as Record<string, unknown> | undefined) };
      return { url, schema: { ...s, response, ...(isPublic && !('security' in s) ? { security: [] } : {}) } };
    },
    transformObject: (documentObject) =>
      completeDocument(
        ('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject) as Document,
        lists,
      ) as never,
  });
}
