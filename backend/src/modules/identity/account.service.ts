import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { sql, transaction } from '../../db/sql.js';
import { HttpProblem, badRequest, notFound } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { hashPassword, type HashGate, HashGateFull, verifyPassword } from './password.js';
import { passwordProblem, type PasswordProblem } from './password-policy.js';
import { REVOCATION_CHANNEL, type SessionCache } from './session-cache.js';
import { secondFactorStep } from './second-factor.policy.js';
import { tooManyAttempts } from './sign-in-problems.js';
import { type SignInThrottle, throttleKeys } from './sign-in-throttle.js';
import type { SecondFactorService } from './second-factor.service.js';

/** Times as ISO 8601 in UTC. */
export interface OwnSession {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  current: boolean;
}

const iso = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const PASSWORD_PROBLEMS: Record<PasswordProblem, string> = {
  password_too_short: 'The new password is too short: use at least 12 characters, for example a few words in a row.',
  password_too_long: 'The new password is too long: use at most 256 characters.',
  password_common: 'The new password is among the most common passwords and easy to guess: choose another.',
  password_contains_username: 'The new password contains your user name: choose another.',
};

/** What the account's own operations use of the sign-in machinery (the identity service has them). */
export interface AccountDeps {
  readonly sessions: SessionCache;
  readonly throttle: SignInThrottle;
  readonly hashGate: HashGate;
  readonly secondFactor: SecondFactorService;
}

/** The signed-in user's own account: password, second factor, sessions. Only ever the caller's own. */
export class AccountService {
  constructor(
    private readonly app: FastifyInstance,
    private readonly identity: AccountDeps,
  ) {}

  /**
   * The current password again, for a change that could lock the user out or let someone in
   * (new password, a new second factor). A wrong one counts as a failed sign-in.
   */
  private async checkCurrentPassword(em: EntityManager, actor: Actor, password: string, ctx: AuditContext, action: string): Promise<void> {
    const keys = throttleKeys(actor.username, ctx.clientIp);
    const wait = await this.identity.throttle.reserve(em, keys);
    if (wait !== null) {
      await this.app.audit.record(em, ctx, { action, resourceType: 'user', resourceId: actor.id, outcome: 'denied', reason: 'throttled' });
      throw tooManyAttempts(wait);
    }
    const [row] = await sql<{ password_hash: string | null }>(em, 'SELECT password_hash FROM app_user WHERE id = ?', [actor.id]);
    let ok: boolean;
    try {
      ok = await this.identity.hashGate.run(() => verifyPassword(row?.password_hash ?? null, password));
    } catch (e) {
      if (!(e instanceof HashGateFull)) throw e;
      await this.identity.throttle.notChecked(em, keys);
      throw new HttpProblem(503, 'sign_in_busy', 'Too many sign-ins right now', 'Try again in a moment.', { 'retry-after': '1' });
    }
    if (!ok) {
      await this.app.audit.record(em, ctx, {
        action,
        resourceType: 'user',
        resourceId: actor.id,
        outcome: 'denied',
        reason: 'bad_credentials',
      });
      throw badRequest(
        'The current password is wrong. Enter the password you signed in with.',
        'wrong_current_password',
        '/currentPassword',
      );
    }
    await this.identity.throttle.succeeded(em, keys);
  }

  /**
   * A new password (at least 12 characters, not a common one). The user's other sessions end: a
   * changed password is often a reaction to someone else knowing the old one.
   */
  async changePassword(
    em: EntityManager,
    actor: Actor,
    input: { currentPassword: string; newPassword: string },
    ctx: AuditContext,
  ): Promise<void> {
    const problem = passwordProblem(input.newPassword, actor.username);
    if (problem) throw badRequest(PASSWORD_PROBLEMS[problem], problem, '/newPassword');
    if (input.newPassword === input.currentPassword) {
      throw badRequest('The new password is the same as the current one: choose a new password.', 'password_unchanged', '/newPassword');
    }
    await this.checkCurrentPassword(em, actor, input.currentPassword, ctx, 'account.password.change');
    const hash = await hashPassword(input.newPassword);
    await transaction(em, async (tx) => {
      await sql(tx, 'UPDATE app_user SET password_hash = ?, must_change_password = false, updated_at = now() WHERE id = ?', [
        hash,
        actor.id,
      ]);
      await sql(tx, 'UPDATE user_session SET revoked_at = now() WHERE user_id = ? AND id <> ? AND revoked_at IS NULL', [
        actor.id,
        actor.sessionId,
      ]);
      await sql(tx, 'SELECT pg_notify(?, ?)', [REVOCATION_CHANNEL, `user:${actor.id}`]);
      await this.app.audit.record(tx, ctx, {
        action: 'account.password.change',
        resourceType: 'user',
        resourceId: actor.id,
        outcome: 'allowed',
      });
    });
    // Cached sessions still say the password must change; the current one is read afresh.
    this.identity.sessions.revokeUser(actor.id);
  }

  async listSessions(em: EntityManager, actor: Actor, ctx: AuditContext): Promise<OwnSession[]> {
    const rows = await sql<{ id: string; created_at: string; last_seen_at: string; expires_at: string }>(
      em,
      `SELECT id, ${iso('created_at')} AS created_at, ${iso('last_seen_at')} AS last_seen_at, ${iso('expires_at')} AS expires_at
       FROM user_session
       WHERE user_id = ? AND revoked_at IS NULL AND expires_at > now() AND last_seen_at > now() - make_interval(mins => ?)
       ORDER BY created_at DESC`,
      [actor.id, this.app.config.SESSION_IDLE_MINUTES],
    );
    await this.app.audit.record(em, ctx, { action: 'account.sessions.list', resourceType: 'session', outcome: 'allowed' });
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      lastSeenAt: r.last_seen_at,
      expiresAt: r.expires_at,
      current: r.id === actor.sessionId,
    }));
  }

  /** Ends one of the caller's own sessions; another user's answers exactly like a missing one. */
  async endSession(em: EntityManager, actor: Actor, sessionId: string, ctx: AuditContext): Promise<void> {
    const ended = await transaction(em, async (tx) => {
      const rows = await sql(
        tx,
        'UPDATE user_session SET revoked_at = now() WHERE id = ? AND user_id = ? AND revoked_at IS NULL RETURNING id',
        [sessionId, actor.id],
      );
      if (rows.length === 0) return false;
      await sql(tx, 'SELECT pg_notify(?, ?)', [REVOCATION_CHANNEL, `session:${sessionId}`]);
      await this.app.audit.record(tx, ctx, {
        action: 'account.session.end',
        resourceType: 'session',
        resourceId: sessionId,
        outcome: 'allowed',
      });
      return true;
    });
    if (!ended) {
      await this.app.audit.record(em, ctx, {
        action: 'account.session.end',
        resourceType: 'session',
        resourceId: sessionId,
        outcome: 'denied',
        reason: 'not_found',
      });
      throw notFound();
    }
    this.identity.sessions.revokeSession(sessionId);
  }

  /** Whether the caller has a second factor, must have one, and how many recovery codes are left. */
  async secondFactorStatus(
    em: EntityManager,
    actor: Actor,
  ): Promise<{ enrolled: boolean; required: boolean; confirmedAt: string | null; recoveryCodesLeft: number }> {
    const status = await this.identity.secondFactor.enrolled(em, actor.id);
    const [u] = await sql<{ mfa_exempt: boolean }>(em, 'SELECT mfa_exempt FROM app_user WHERE id = ?', [actor.id]);
    const required =
      secondFactorStep(this.app.policy.policies.authentication, {
        roles: actor.roles,
        mfaExempt: u?.mfa_exempt ?? false,
        enrolled: false,
      }) === 'enrol';
    return { ...status, required };
  }

  /** Sets up TOTP for a signed-in user who has none yet (the current password again first). */
  async startEnrolment(
    em: EntityManager,
    actor: Actor,
    password: string,
    ctx: AuditContext,
  ): Promise<{ otpauthUri: string; qrDataUrl: string }> {
    await this.checkCurrentPassword(em, actor, password, ctx, 'account.totp.start');
    return transaction(em, async (tx) => {
      const enrolment = await this.identity.secondFactor.startEnrolment(tx, actor.id, actor.username);
      await this.app.audit.record(tx, ctx, {
        action: 'account.totp.start',
        resourceType: 'user',
        resourceId: actor.id,
        outcome: 'allowed',
      });
      return enrolment;
    });
  }

  /** The first code from the app confirms the factor; the recovery codes are shown this once. */
  async confirmEnrolment(em: EntityManager, actor: Actor, code: string, ctx: AuditContext): Promise<string[]> {
    const keys = throttleKeys(`second-factor:${actor.id}`, ctx.clientIp);
    const wait = await this.identity.throttle.reserve(em, keys);
    if (wait !== null) {
      await this.app.audit.record(em, ctx, {
        action: 'account.totp.enrol',
        resourceType: 'user',
        resourceId: actor.id,
        outcome: 'denied',
        reason: 'throttled',
      });
      throw tooManyAttempts(wait);
    }
    const codes = await transaction(em, async (tx) => {
      const codes = await this.identity.secondFactor.confirmEnrolment(tx, actor.id, code);
      if (!codes) return null;
      await this.identity.throttle.succeeded(tx, keys);
      await this.app.audit.record(tx, ctx, {
        action: 'account.totp.enrol',
        resourceType: 'user',
        resourceId: actor.id,
        outcome: 'allowed',
      });
      return codes;
    });
    if (!codes) {
      await this.app.audit.record(em, ctx, {
        action: 'account.totp.enrol',
        resourceType: 'user',
        resourceId: actor.id,
        outcome: 'denied',
        reason: 'bad_second_factor',
      });
      throw badRequest('The code is wrong, or no set-up was started. Enter the code your app shows now.', 'bad_second_factor', '/code');
    }
    return codes;
  }
}
