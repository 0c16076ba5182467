/**
 * OpenTelemetry traces through the official SDK, off unless OTEL_ENABLED=true; spans go to
 * OTEL_EXPORTER_OTLP_ENDPOINT over OTLP/HTTP (the SDK reads the standard OTEL_* variables).
 * server.ts imports this module first: the SDK has to patch http and pg before Fastify and knex
 * load them. It is loaded with a synchronous require, so that it is in place before the next
 * import is evaluated, and not loaded at all when tracing is off.
 */
import { createRequire } from 'node:module';
import type { NodeSDK } from '@opentelemetry/sdk-node';

type Sdk = typeof import('@opentelemetry/sdk-node');
type Exporter = typeof import('@opentelemetry/exporter-trace-otlp-http');
type Http = typeof import('@opentelemetry/instrumentation-http');
type Pg = typeof import('@opentelemetry/instrumentation-pg');

/** Same reading as the configuration's OTEL_ENABLED (config.ts), before the configuration loads. */
export const tracingEnabled = (env: NodeJS.ProcessEnv = process.env): boolean => ['true', '1'].includes(env.OTEL_ENABLED ?? '');

/** Attributes that carry a concrete URL or SQL text, each a place where an id or a value could sit. */
const URL_ATTRIBUTES = ['http.target', 'http.url', 'url.full', 'url.path', 'url.query'];
const SQL_ATTRIBUTES = ['db.statement', 'db.query.text'];

/** A path with its id segments (uuids, numbers) as ":id" and no query string. */
export const pathPattern = (url: string): string =>
  (url.split('?')[0] ?? '').replace(/\/(?:[0-9a-f]{8}-[0-9a-f-]{27}|\d+)(?=\/|$)/gi, '/:id');

/** SQL text with its literals as placeholders (statements normally carry $n parameters, never values). */
export const sqlShape = (text: string): string => text.replace(/'(?:[^']|'')*'/g, "'?'").replace(/\b\d+\b/g, '?');

function redact(span: unknown, attributes: readonly string[], fn: (v: string) => string): void {
  const s = span as { attributes?: Record<string, unknown>; setAttribute(k: string, v: string): void };
  for (const key of attributes) {
    const v = s.attributes?.[key];
    if (typeof v === 'string') s.setAttribute(key, key === 'url.query' ? '' : fn(v));
  }
}

function startTracing(): NodeSDK {
  const require = createRequire(import.meta.url);
  const { NodeSDK } = require('@opentelemetry/sdk-node') as Sdk;
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as Exporter;
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as Http;
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as Pg;
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'samverka-api',
    traceExporter: new OTLPTraceExporter(),
    // No personal data in spans: paths without their ids or query strings, SQL without literals.
    instrumentations: [
      new HttpInstrumentation({ requestHook: (span) => redact(span, URL_ATTRIBUTES, pathPattern) }),
      new PgInstrumentation({ requestHook: (span) => redact(span, SQL_ATTRIBUTES, sqlShape) }),
    ],
  });
  sdk.start();
  return sdk;
}

/** The running SDK, or null when tracing is off. */
export const tracing: NodeSDK | null = tracingEnabled() ? startTracing() : null;

/** Sends the spans still buffered (on shutdown). */
export async function stopTracing(): Promise<void> {
  await tracing?.shutdown().catch(() => undefined);
}
