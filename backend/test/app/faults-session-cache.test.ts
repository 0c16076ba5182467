// Session revocation without a re-cache window: a session read from the database before a
// revocation, whose read finishes after the revocation's notification came, is not cached.
import pg from 'pg';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { REVOCATION_CHANNEL, SessionCache } from '../../src/modules/identity/session-cache.js';
import type { Actor } from '../../src/types.js';
import { createTestDatabase } from '../helpers/app.js';
import { waitFor } from './faults-server.js';

const actor: Actor = {
  id: '00000000-0000-4000-8000-000000000001',
  username: 'school',
  displayName: 'Skola',
  agencyId: '00000000-0000-4000-8000-000000000002',
  agencyName: 'Skolan',
  agencyKind: 'school',
  roles: ['partner'],
  sessionId: '00000000-0000-4000-8000-000000000003',
} as Actor;

let databaseUrl: string;
let cache: SessionCache;
let notifier: pg.Client;

async function notify(payload: string): Promise<void> {
  await notifier.query('SELECT pg_notify($1, $2)', [REVOCATION_CHANNEL, payload]);
}

/** Waits until a notification sent now has been handled (a marker nobody else uses). */
async function delivered(): Promise<void> {
  const probe = { ...actor, sessionId: '00000000-0000-4000-8000-0000000000ff' };
  cache.set(probe, cache.readTicket());
  await notify(`session:${probe.sessionId}`);
  await waitFor(async () => cache.get(probe.sessionId, probe.id) === undefined, 5_000);
}

/** Terminates the listener's connection and keeps it from reconnecting while `during` runs. */
async function listenerAway(during: () => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: `${inject('pgAdminUrl')}/postgres` });
  await admin.connect();
  const db = admin.escapeIdentifier(new URL(databaseUrl).pathname.slice(1));
  await admin.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`);
  try {
    await notifier.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'samverka-session-listener' AND datname = current_database()",
    );
    await waitFor(async () => cache.backendPid === null, 5_000);
    await during();
  } finally {
    await admin.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true`);
    await admin.end();
  }
}

beforeEach(async () => {
  databaseUrl ??= await createTestDatabase();
  cache = new SessionCache(60_000, pino({ level: 'silent' }));
  await cache.listen(databaseUrl);
  notifier = new pg.Client({ connectionString: databaseUrl });
  await notifier.connect();
});

afterEach(async () => {
  await cache.close();
  await notifier.end();
});

describe('session cache', () => {
  it('caches a session read while no revocation came', async () => {
    const ticket = cache.readTicket();
    cache.set(actor, ticket);
    expect(cache.get(actor.sessionId, actor.id)).toEqual(actor);
  });

  it('does not cache a read that began before a revocation and ended after its notification', async () => {
    // The request missed the cache and starts reading the session (still live in the database) …
    expect(cache.get(actor.sessionId, actor.id)).toBeUndefined();
    const ticket = cache.readTicket();
    // … another instance revokes it, and the notification arrives before the read finishes …
    await notify(`session:${actor.sessionId}`);
    await delivered();
    // … so the read's result must not be cached as live.
    cache.set(actor, ticket);
    expect(cache.get(actor.sessionId, actor.id)).toBeUndefined();
  });

  it('is bypassed while the listener is away, and a read that spans its absence is not cached', async () => {
    cache.set(actor, cache.readTicket());
    const ticket = cache.readTicket();
    await listenerAway(async () => {
      expect(cache.get(actor.sessionId, actor.id)).toBeUndefined();
      cache.set(actor, cache.readTicket());
      expect(cache.get(actor.sessionId, actor.id)).toBeUndefined();
    });
    await waitFor(async () => cache.backendPid !== null, 15_000);
    // Begun before the loss, finished after the reconnection: revocations may have been missed.
    cache.set(actor, ticket);
    expect(cache.get(actor.sessionId, actor.id)).toBeUndefined();
    // A read that begins after the reconnection is cached again.
    cache.set(actor, cache.readTicket());
    expect(cache.get(actor.sessionId, actor.id)).toEqual(actor);
  });
});
