import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashGate, HashGateFull } from '../../src/modules/identity/password.js';
import { currentFailures, throttleKeys, waitSeconds, type ThrottleLimits } from '../../src/modules/identity/sign-in-throttle.js';
import { DEMO_PASSWORD, createTestApp, type TestContext } from '../helpers/app.js';

const attempt = (t: TestContext, username: string, password: string, address = '198.51.100.1'): Promise<LightMyRequestResponse> =>
  t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, headers: { 'x-forwarded-for': address } });

const statuses = (list: LightMyRequestResponse[]): Record<number, number> =>
  list.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.statusCode]: (acc[r.statusCode] ?? 0) + 1 }), {});

describe('sign-in throttling under concurrency', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp({
      LOGIN_MAX_FAILURES: '5',
      LOGIN_MAX_FAILURES_PER_USER: '12',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '1000',
      LOGIN_BACKOFF_SECONDS: '30',
      LOGIN_HASH_QUEUE: '1000',
      RATE_LIMIT_LOGIN_PER_MINUTE: '10000',
    });
  });
  afterAll(async () => t.close());

  it('200 parallel wrong passwords for one user name from one address: exactly the allowed 5 are checked, the rest 429', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => attempt(t, 'school', 'wrong-password-1')));
    expect(statuses(answers)).toEqual({ 401: 5, 429: 195 });
    for (const refused of answers.filter((r) => r.statusCode === 429)) {
      expect(refused.headers['content-type']).toContain('application/problem+json');
      // While the allowed attempts are still being checked the answer is "retry in a moment".
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Once they failed, the pair waits out the backoff (30 s, less what the burst took).
    const after = await attempt(t, 'school', 'wrong-password-1');
    expect(after.statusCode).toBe(429);
    expect(Number(after.headers['retry-after'])).toBeGreaterThanOrEqual(20);
    const { rows } = await t.sql.query(
      "SELECT reason, count(*)::int AS n FROM audit_queue WHERE action = 'auth.login' GROUP BY reason ORDER BY reason",
    );
    expect(rows).toEqual([
      { reason: 'bad_credentials', n: 5 },
      { reason: 'throttled', n: 196 },
    ]);
  });

  it('200 parallel wrong passwords for one user name from 200 addresses: at most the per-user limit is checked', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => attempt(t, 'police', 'wrong-password-2', `203.0.113.${i}`)));
    expect(statuses(answers)).toEqual({ 401: 12, 429: 188 });
  });
});

describe('sign-in throttling is not a lock-out weapon', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp({
      LOGIN_MAX_FAILURES: '5',
      LOGIN_BACKOFF_SECONDS: '30',
      LOGIN_BACKOFF_MAX_SECONDS: '600',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '10',
    });
  });
  afterAll(async () => t.close());

  it('five wrong passwords from one address slow that address only: the user signs in from another', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt(t, 'social', 'wrong-password-3', '198.51.100.7')).statusCode).toBe(401);
    const attacker = await attempt(t, 'social', DEMO_PASSWORD, '198.51.100.7');
    expect(attacker.statusCode).toBe(429);
    expect(attacker.json().detail).toMatch(/Wait \d+ seconds/);
    expect((await attempt(t, 'social', DEMO_PASSWORD, '192.0.2.44')).statusCode).toBe(200);
  });

  it('two forwarded addresses are throttled separately for the same user name', async () => {
    for (let i = 0; i < 5; i++) await attempt(t, 'leisure', 'wrong-password-4', '198.51.100.20');
    expect((await attempt(t, 'leisure', 'wrong-password-4', '198.51.100.20')).statusCode).toBe(429);
    expect((await attempt(t, 'leisure', 'wrong-password-4', '198.51.100.21')).statusCode).toBe(401);
  });

  it('each failure past the free ones doubles the wait', async () => {
    const address = '198.51.100.30';
    for (let i = 0; i < 5; i++) await attempt(t, 'coordinator', 'wrong-password-5', address);
    expect(Number((await attempt(t, 'coordinator', 'wrong-password-5', address)).headers['retry-after'])).toBe(30);
    // The 30 seconds pass: one more try is checked, then the wait is 60 seconds.
    await t.sql.query(
      "UPDATE login_throttle SET last_failure_at = last_failure_at - interval '31 seconds' WHERE key LIKE 'pair:%:198.51.100.30'",
    );
    expect((await attempt(t, 'coordinator', 'wrong-password-5', address)).statusCode).toBe(401);
    expect(Number((await attempt(t, 'coordinator', 'wrong-password-5', address)).headers['retry-after'])).toBe(60);
  });

  it('one address trying many user names is stopped by the per-address limit', async () => {
    const address = '198.51.100.40';
    for (let i = 0; i < 10; i++) expect((await attempt(t, `guess${i}`, 'wrong-password-6', address)).statusCode).toBe(401);
    expect((await attempt(t, 'guess-next', 'wrong-password-6', address)).statusCode).toBe(429);
    expect((await attempt(t, 'admin', DEMO_PASSWORD, '198.51.100.41')).statusCode).toBe(200);
  });

  it('a successful sign-in gives the pair a fresh start', async () => {
    const address = '198.51.100.50';
    for (let i = 0; i < 4; i++) await attempt(t, 'auditor', 'wrong-password-7', address);
    expect((await attempt(t, 'auditor', DEMO_PASSWORD, address)).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await attempt(t, 'auditor', 'wrong-password-7', address)).statusCode).toBe(401);
  });
});

describe('password verification does not queue without bound', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestApp({ LOGIN_HASH_CONCURRENCY: '1', LOGIN_HASH_QUEUE: '2', RATE_LIMIT_LOGIN_PER_MINUTE: '10000' });
  });
  afterAll(async () => t.close());

  it('beyond the running and waiting verifications, sign-ins get 503 problem+json with Retry-After at once', async () => {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => attempt(t, `nobody${i}`, 'wrong-password-8', `203.0.113.${i}`)));
    const counts = statuses(answers);
    expect(counts[401]).toBeGreaterThanOrEqual(3);
    expect(counts[503]).toBeGreaterThan(0);
    expect((counts[401] ?? 0) + (counts[503] ?? 0)).toBe(60);
    const busy = answers.find((r) => r.statusCode === 503)!;
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.json().type).toBe('urn:samverka:problem:sign_in_busy');
    expect(Date.now() - started).toBeLessThan(10_000);
    // A refused try was never checked, so it does not count as a failure.
    const { rows } = await t.sql.query("SELECT count(*)::int AS n FROM login_throttle WHERE key LIKE 'pair:%' AND failures > 0");
    expect(rows[0].n).toBe(counts[401]);
  });

  it('the gate runs at most `concurrency` at once and refuses beyond the queue without waiting', async () => {
    const gate = new HashGate(2, 3);
    let running = 0;
    let peak = 0;
    const slow = async (): Promise<string> => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 30));
      running -= 1;
      return 'done';
    };
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => gate.run(slow)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof HashGateFull)).toHaveLength(5);
    expect(peak).toBe(2);
    expect(await gate.run(slow)).toBe('done');
  });
});

describe('the throttle decision', () => {
  const limits: ThrottleLimits = {
    pairFailures: 5,
    backoffSeconds: 30,
    backoffMaxSeconds: 900,
    windowSeconds: 900,
    userFailures: 100,
    addressFailures: 50,
  };
  const keys = throttleKeys('Social ', '2001:db8::1');
  const row = (key: string, failures: number, sinceLast = 0, windowAge = 0) => ({
    key,
    failures,
    since_last: sinceLast,
    window_age: windowAge,
  });

  it('keys hash the user name case-insensitively and group an IPv6 client by its /64', () => {
    expect(throttleKeys('social', '2001:db8::ffff').pair).toBe(keys.pair);
    expect(keys.pair).not.toContain('social');
    expect(throttleKeys('social', '::ffff:192.0.2.1').address).toBe('addr:192.0.2.1');
  });

  it.each([
    [4, 0, null],
    [5, 0, 30],
    [5, 29.5, 1],
    [5, 30, null],
    [6, 10, 50],
    [9, 0, 480],
    [12, 0, 900],
    [40, 899, 1],
    [40, 900, null],
  ])('a pair with %i failures, the last %f s ago, waits %s s', (failures, sinceLast, wait) => {
    expect(waitSeconds([row(keys.pair, failures, sinceLast)], keys, limits)).toBe(wait);
  });

  it('a pair forgets its failures only a window after its wait is over, so waiting out the longest wait does not start afresh', () => {
    expect(currentFailures(row(keys.pair, 3, 899), keys, limits)).toBe(3);
    expect(currentFailures(row(keys.pair, 3, 900), keys, limits)).toBe(0);
    expect(currentFailures(row(keys.pair, 12, 1000), keys, limits)).toBe(12);
    expect(waitSeconds([row(keys.pair, 12, 1000)], keys, limits)).toBe(null);
    expect(currentFailures(row(keys.pair, 12, 1800), keys, limits)).toBe(0);
  });

  it('the user and address counters are fixed windows', () => {
    expect(waitSeconds([row(keys.user, 100, 0, 600)], keys, limits)).toBe(300);
    expect(waitSeconds([row(keys.user, 99, 0, 600)], keys, limits)).toBe(null);
    expect(waitSeconds([row(keys.address, 50, 0, 899.5)], keys, limits)).toBe(1);
    expect(waitSeconds([row(keys.address, 50, 0, 900)], keys, limits)).toBe(null);
  });
});
