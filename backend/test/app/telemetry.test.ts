import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { pathPattern, sqlShape, tracing, tracingEnabled } from '../../src/telemetry.js';

describe('OpenTelemetry traces', () => {
  it('are off by default: the SDK is not even loaded', () => {
    expect(process.env.OTEL_ENABLED).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
    expect(tracing).toBeNull();
    expect(loadConfig({ NODE_ENV: 'test' }).OTEL_ENABLED).toBe(false);
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.some((f) => f.includes('@opentelemetry/sdk-node'))).toBe(false);
  });

  it('keep ids, query strings and SQL literals out of span attributes', () => {
    expect(pathPattern(`/api/cases/${randomUUID()}/journal/12?name=Anna`)).toBe('/api/cases/:id/journal/:id');
    expect(sqlShape("SELECT * FROM subject WHERE name = 'Anna O''Neil' AND age > 17")).toBe(
      "SELECT * FROM subject WHERE name = '?' AND age > ?",
    );
  });

  it('when on, send a span of an API request to an OTLP/HTTP receiver, without the id or the query', async () => {
    const bodies: string[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const { port } = receiver.address() as AddressInfo;
    const id = randomUUID();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./telemetry.child.ts', import.meta.url))], {
        env: { ...process.env, CASE_ID: id, OTEL_ENABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const code = await new Promise((r) => child.on('exit', r));
      expect(code).toBe(0);
      expect(JSON.parse(out)).toEqual({ status: 200, tracing: true });
    } finally {
      await new Promise((r) => receiver.close(r));
    }
    const all = bodies.join('\n');
    expect(all).toContain('samverka-api');
    expect(all).toContain('/api/cases/:id');
    expect(all).not.toContain(id);
    expect(all).not.toContain('Anna');
  });
});
