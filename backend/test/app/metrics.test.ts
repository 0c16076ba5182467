import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, login, type TestContext } from '../helpers/app.js';

/** Every series an operator's dashboard and alert rules rely on (infra/monitoring). */
export const SERIES = [
  'samverka_http_request_duration_seconds_bucket',
  'samverka_http_request_duration_seconds_count',
  'samverka_db_pool_connections',
  'samverka_db_pool_max',
  'samverka_ready',
  'samverka_audit_queue_depth',
  'samverka_audit_sequencer_lag_seconds',
  'samverka_audit_sequencer_leader',
  'samverka_audit_verification_ok',
  'samverka_audit_verification_timestamp_seconds',
  'samverka_sign_in_refusals_total',
  'samverka_jobs',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
];

/** The value of one sample, by its exact name and labels as printed. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no sample ${series}`);
  return Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  let t: TestContext;
  let url: string;
  const scrape = async (): Promise<string> => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  beforeAll(async () => {
    t = await createTestApp();
    const address = await t.app.metrics.listen('127.0.0.1', 0);
    url = `http://127.0.0.1:${address.port}/metrics`;
  });
  afterAll(async () => t.close());

  it('answers with every listed series, in Prometheus text format', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    const text = await scrape();
    expect(text).toMatch(/samverka_http_request_duration_seconds_count\{method="GET",route="\/api\/health",status_code="200"\} 1/);
    for (const s of SERIES) expect(text, s).toMatch(new RegExp(`^${s}[{ ]`, 'm'));
    expect(sample(text, 'samverka_db_pool_max')).toBe(t.config.DB_POOL_MAX);
    expect(sample(text, 'samverka_audit_verification_ok')).toBe(-1);
    expect(sample(text, 'samverka_audit_sequencer_leader')).toBe(0);
    expect(sample(text, 'samverka_ready')).toBe(1);
  });

  it('labels requests by route pattern and status: a case id in the URL never appears', async () => {
    const token = await login(t.app, 'social');
    const id = randomUUID();
    const res = await t.app.inject({ method: 'GET', url: `/api/cases/${id}`, headers: bearer(token) });
    expect(res.statusCode).toBe(404);
    const text = await scrape();
    expect(text).not.toContain(id);
    expect(text).not.toContain('social');
    expect(text).toMatch(/samverka_http_request_duration_seconds_count\{method="GET",route="\/api\/cases\/:id",status_code="404"\} 1/);
    const unmatched = `/api/nothing-here/${id}`;
    await t.app.inject({ method: 'GET', url: unmatched, headers: bearer(token) });
    const after = await scrape();
    expect(after).not.toContain(id);
    expect(after).toMatch(/route="\(unmatched\)"/);
  });

  it('counts refused sign-ins, and shows the audit queue until the sequencer has taken it', async () => {
    const before = sample(await scrape(), 'samverka_sign_in_refusals_total{outcome="failed"}');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'school', password: 'not-the-password-1' },
    });
    expect(res.statusCode).toBe(401);
    const text = await scrape();
    expect(sample(text, 'samverka_sign_in_refusals_total{outcome="failed"}')).toBe(before + 1);
    expect(sample(text, 'samverka_audit_queue_depth')).toBeGreaterThan(0);
    expect(sample(text, 'samverka_audit_sequencer_lag_seconds')).toBeGreaterThan(0);
    await t.app.auditSequencer.drain();
    const drained = await scrape();
    expect(sample(drained, 'samverka_audit_queue_depth')).toBe(0);
    expect(sample(drained, 'samverka_audit_sequencer_lag_seconds')).toBe(0);
  });

  it('shows the last verification result and when it ran', async () => {
    const token = await login(t.app, 'auditor');
    await t.app.auditSequencer.drain();
    const started = Date.now() / 1000;
    const res = await t.app.inject({ method: 'GET', url: '/api/audit/verify', headers: bearer(token) });
    expect(res.json()).toMatchObject({ ok: true });
    const text = await scrape();
    expect(sample(text, 'samverka_audit_verification_ok')).toBe(1);
    expect(sample(text, 'samverka_audit_verification_timestamp_seconds')).toBeGreaterThanOrEqual(Math.floor(started));
  });

  it('counts throttled sign-ins', async () => {
    const before = sample(await scrape(), 'samverka_sign_in_refusals_total{outcome="throttled"}');
    const attempt = () =>
      t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'police', password: 'not-the-password-1' } });
    let status = 0;
    for (let i = 0; i <= t.config.LOGIN_MAX_FAILURES && status !== 429; i++) status = (await attempt()).statusCode;
    expect(status).toBe(429);
    expect(sample(await scrape(), 'samverka_sign_in_refusals_total{outcome="throttled"}')).toBe(before + 1);
  });

  it('is not served on the public port, and its own port serves nothing else', async () => {
    for (const path of ['/metrics', '/api/metrics']) {
      const res = await t.app.inject({ method: 'GET', url: path });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('samverka_');
    }
    const other = await fetch(url.replace('/metrics', '/api/health'));
    expect(other.status).toBe(404);
  });
});

describe('metrics while the database is away', () => {
  it('show the API not ready and the audit queue as unknown, and still answer', async () => {
    const t = await createTestApp({}, { seed: false });
    try {
      const { port } = await t.app.metrics.listen('127.0.0.1', 0);
      await t.orm.close();
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(sample(text, 'samverka_ready')).toBe(0);
      expect(sample(text, 'samverka_audit_queue_depth')).toBeNaN();
    } finally {
      await t.app.close();
      await t.sql.end();
    }
  });
});
