// A tiny API process for telemetry.test.ts: tracing first, as in server.ts, then a Fastify route.
import { stopTracing, tracing } from '../../src/telemetry.js';
import Fastify from 'fastify';

const app = Fastify();
app.get('/api/cases/:id', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address() as { port: number };
const res = await fetch(`http://127.0.0.1:${port}/api/cases/${process.env.CASE_ID}?name=Anna`);
await app.close();
await stopTracing();
process.stdout.write(JSON.stringify({ status: res.status, tracing: tracing !== null }));
