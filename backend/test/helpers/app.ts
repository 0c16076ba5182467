import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { generate } from 'otplib';
import pg from 'pg';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { initOrm, type Orm } from '../../src/db/orm.js';
import { seedDemo } from '../../src/db/seed.js';
import { loadKeys } from '../../src/lib/keys.js';

export const DEMO_PASSWORD = 'samverka-demo-2026';

export interface TestContext {
  app: FastifyInstance;
  orm: Orm;
  config: Config;
  databaseUrl: string;
  /** A superuser connection to this test's database, for setting up and inspecting state. */
  sql: pg.Pool;
  close(): Promise<void>;
}

/** Clones a fresh database from the migrated template. */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = inject('pgAdminUrl');
  const name = `samverka_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${adminUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDb')}`);
  } finally {
    await admin.end();
  }
  return `${adminUrl}/${name}`;
}

/** A real app on a fresh database with the demo agencies and users. */
export async function createTestApp(env: Record<string, string> = {}, options: { seed?: boolean } = {}): Promise<TestContext> {
  const databaseUrl = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    KEYS_DIR: inject('keysDir'),
    DATABASE_URL: databaseUrl,
    AUDIT_SEQUENCER: 'false',
    ...env,
  });
  const orm = await initOrm(databaseUrl, 5, true, config.DB_ROLE || undefined);
  if (options.seed !== false) await seedDemo(orm.em.fork(), DEMO_PASSWORD);
  const app = await buildApp({ config, orm, keys: loadKeys(config.KEYS_DIR, false), logger: false });
  await app.ready();
  const sql = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  sql.on('error', () => {});
  return {
    app,
    orm,
    config,
    databaseUrl,
    sql,
    async close() {
      await app.close();
      await orm.close();
      await sql.end();
    },
  };
}

/** What a user's authenticator app and sheet of recovery codes hold, for accounts a test enrolled through the API. */
interface Authenticator {
  secret: string;
  /** The last time step a code was sent for: the server accepts each step once. */
  lastStep: number;
  recoveryCodes: string[];
}

const authenticators = new WeakMap<FastifyInstance, Map<string, Authenticator>>();

function authenticatorsOf(app: FastifyInstance): Map<string, Authenticator> {
  let m = authenticators.get(app);
  if (!m) authenticators.set(app, (m = new Map()));
  return m;
}

/** The secret of an otpauth:// URI, as an authenticator app reads it from the QR code. */
export const secretOf = (otpauthUri: string): string => new URL(otpauthUri).searchParams.get('secret')!;

/**
 * The second step as a user would answer it: the code the app shows for a time step the server
 * has not accepted yet (now, or the next one within the allowed drift), else a recovery code.
 */
async function secondStep(app: FastifyInstance, challenge: string, device: Authenticator): Promise<LightMyRequestResponse> {
  const now = Math.floor(Date.now() / 1000 / 30);
  const step = [now - 1, now, now + 1].find((s) => s > device.lastStep);
  let payload: Record<string, string>;
  if (step !== undefined) {
    device.lastStep = step;
    payload = { challenge, code: await generate({ secret: device.secret, epoch: step * 30 }) };
  } else {
    const recoveryCode = device.recoveryCodes.shift();
    if (!recoveryCode) throw new Error('no time step or recovery code left for this authenticator');
    payload = { challenge, recoveryCode };
  }
  return app.inject({ method: 'POST', url: '/api/auth/mfa', payload });
}

/** Signs in; a user a test enrolled (`createUser`) answers the second step with their authenticator. */
export async function login(app: FastifyInstance, username: string, password = DEMO_PASSWORD): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
  const body = res.json() as { accessToken?: string; challenge?: string; secondFactor?: string };
  if (body.accessToken) return body.accessToken;
  const device = authenticatorsOf(app).get(username);
  if (!device || body.secondFactor !== 'verify')
    throw new Error(`login ${username}: the API asks for a second factor this test never enrolled`);
  const second = await secondStep(app, body.challenge!, device);
  if (second.statusCode !== 200) throw new Error(`second step for ${username} failed: ${second.statusCode} ${second.body}`);
  return (second.json() as { accessToken: string }).accessToken;
}

export interface NewUser {
  username: string;
  displayName: string;
  agencyId: string;
  roles: string[];
  /** The password the user chooses at first sign-in (the admin's one-time password is replaced by it). */
  password: string;
}

/**
 * A user as a real one comes to be: an admin creates the account (and gets a one-time
 * password), the user signs in with it, sets up TOTP when the policy asks for it and chooses
 * their own password. The authenticator is remembered, so `login()` can answer the second step.
 * Privileged roles are approved by `options.approver`, a second admin (four eyes).
 */
export async function createUser(
  app: FastifyInstance,
  adminToken: string,
  user: NewUser,
  options: { approver?: string } = {},
): Promise<{ id: string } & Record<string, unknown>> {
  const { password, ...account } = user;
  const created = await app.inject({ method: 'POST', url: '/api/admin/users', headers: bearer(adminToken), payload: account });
  if (created.statusCode !== 201) throw new Error(`creating ${user.username} failed: ${created.statusCode} ${created.body}`);
  const body = created.json() as { id: string; initialPassword: string; pendingRoleRequest?: { id: string } | null } & Record<
    string,
    unknown
  >;
  if (body.pendingRoleRequest) {
    // Privileged roles wait for a second admin (four eyes).
    if (!options.approver) throw new Error(`${user.username}'s roles wait for a second admin: pass options.approver`);
    const url = `/api/admin/role-requests/${body.pendingRoleRequest.id}/approve`;
    const approved = await app.inject({ method: 'POST', url, headers: bearer(options.approver) });
    if (approved.statusCode !== 200) throw new Error(`approving ${user.username}'s roles failed: ${approved.statusCode} ${approved.body}`);
  }
  const first = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: user.username, password: body.initialPassword },
  });
  if (first.statusCode !== 200) throw new Error(`first sign-in of ${user.username} failed: ${first.statusCode} ${first.body}`);
  let session = first.json() as { accessToken?: string; challenge?: string; secondFactor?: string };
  if (session.secondFactor === 'enrol') {
    const enrolment = await app.inject({ method: 'POST', url: '/api/auth/mfa/totp', payload: { challenge: session.challenge } });
    if (enrolment.statusCode !== 200) throw new Error(`enrolment of ${user.username} failed: ${enrolment.statusCode} ${enrolment.body}`);
    const device: Authenticator = { secret: secretOf(enrolment.json().otpauthUri), lastStep: -1, recoveryCodes: [] };
    const confirmed = await secondStep(app, session.challenge!, device);
    if (confirmed.statusCode !== 200)
      throw new Error(`confirming ${user.username}'s TOTP failed: ${confirmed.statusCode} ${confirmed.body}`);
    session = confirmed.json();
    device.recoveryCodes = (session as { recoveryCodes: string[] }).recoveryCodes;
    authenticatorsOf(app).set(user.username, device);
  }
  if (!session.accessToken) throw new Error(`first sign-in of ${user.username}: unexpected ${JSON.stringify(session)}`);
  const changed = await app.inject({
    method: 'POST',
    url: '/api/me/password',
    headers: bearer(session.accessToken),
    payload: { currentPassword: body.initialPassword, newPassword: password },
  });
  if (changed.statusCode !== 204) throw new Error(`password change of ${user.username} failed: ${changed.statusCode} ${changed.body}`);
  return body;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export function problem(res: LightMyRequestResponse): { status: number; title: string; detail?: string; requestId: string } {
  return res.json();
}
