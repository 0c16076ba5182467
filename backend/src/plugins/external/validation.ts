import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Two validators: bodies are validated strictly (no type coercion, unknown properties rejected);
 * query strings and path parameters are strings on the wire and are coerced to their declared types.
 */
export function registerValidation(app: FastifyInstance): void {
  const common = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false } as const;
  const strict = addFormats.default(new Ajv.default({ ...common, coerceTypes: false }));
  const coercing = addFormats.default(new Ajv.default({ ...common, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
