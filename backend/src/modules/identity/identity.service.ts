import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from '../../lib/problem.js';
import type { AuditContext } from '../../plugins/app/audit.js';
import type { Actor } from '../../types.js';
import { sql, transaction } from '../../db/sql.js';
import { type AgencyKind, type Role, User } from './identity.entities.js';
import { HashGate, HashGateFull, verifyPassword } from './password.js';
import { secondFactorStep } from './second-factor.policy.js';
import { CHALLENGE_TTL_SECONDS, SecondFactorService } from './second-factor.service.js';
import { challengeInvalid, tooManyAttempts } from './sign-in-problems.js';
import { AccountService } from './account.service.js';
import { REVOCATION_CHANNEL, SessionCache } from './session-cache.js';
import { SignInThrottle, throttleKeys } from './sign-in-throttle.js';

export interface PublicUser {
  id: string;
  username: string;
  displayName: string;
  agencyId: string;
  roles: Role[];
}

/** A signed-in session's answer. */
export interface SessionGrant {
  accessToken: string;
  expiresIn: number;
  user: PublicUser;
  /** The initial password must be changed before anything else is allowed. */
  mustChangePassword: boolean;
}

/** The password was right; a second factor is needed (or must be set up) before a session is given. */
export interface SecondStepGrant {
  secondFactor: 'verify' | 'enrol';
  challenge: string;
  expiresIn: number;
}

export interface PublicAgency {
  id: string;
  name: string;
  kind: AgencyKind;
}

interface ActorRow {
  id: string;
  username: string;
  display_name: string;
  agency_id: string;
  agency_name: string;
  agency_kind: AgencyKind;
  roles: Role[];
  must_change_password: boolean;
  stale: boolean;
}

const toPublicUser = (u: User): PublicUser => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  agencyId: u.agencyId,
  roles: u.roles,
});

export class IdentityService {
  readonly sessions: SessionCache;
  /** Failed sign-ins, and failed second steps under their own keys (`secondStepKeys`). */
  readonly throttle: SignInThrottle;
  readonly hashGate: HashGate;
  readonly secondFactor: SecondFactorService;
  readonly account: AccountService;

  constructor(private readonly app: FastifyInstance) {
    this.sessions = new SessionCache(5_000, app.log);
    const c = app.config;
    this.throttle = new SignInThrottle({
      pairFailures: c.LOGIN_MAX_FAILURES,
      backoffSeconds: c.LOGIN_BACKOFF_SECONDS,
      backoffMaxSeconds: c.LOGIN_BACKOFF_MAX_SECONDS,
      windowSeconds: c.LOGIN_WINDOW_SECONDS,
      userFailures: c.LOGIN_MAX_FAILURES_PER_USER,
      addressFailures: c.LOGIN_MAX_FAILURES_PER_ADDRESS,
    });
    this.hashGate = new HashGate(c.LOGIN_HASH_CONCURRENCY, c.LOGIN_HASH_QUEUE);
    this.secondFactor = new SecondFactorService(app.keys.totp);
    this.account = new AccountService(app, this);
  }

  /** Tells every instance (through LISTEN/NOTIFY, delivered at commit) to drop cached sessions. */
  private async announceRevocation(tx: EntityManager, payload: string): Promise<void> {
    await tx.getConnection().execute('SELECT pg_notify(?, ?)', [REVOCATION_CHANNEL, payload], 'all', tx.getTransactionContext());
  }

  /**
   * Reserve a failure on the throttle's counters first (refused with 429 while any is at its
   * limit), then check the password through the bounded hash gate (503 when it is full, and the
   * reservation goes back), and on success give the reservation back in the next transaction:
   * with the session, or with the challenge of the second step when the user must give one
   * (`policies/authentication.yaml`).
   */
  async login(em: EntityManager, username: string, password: string, ctx: AuditContext): Promise<SessionGrant | SecondStepGrant> {
    const keys = throttleKeys(username, ctx.clientIp);
    const wait = await this.throttle.reserve(em, keys);
    if (wait !== null) {
      await this.app.audit.record(em, ctx, { action: 'auth.login', resourceType: 'session', outcome: 'denied', reason: 'throttled' });
      throw tooManyAttempts(wait);
    }
    const user = await em.findOne(User, { username: username.trim().toLowerCase() }, { populate: ['passwordHash'] });
    let ok: boolean;
    try {
      ok = await this.hashGate.run(() => verifyPassword(user?.active ? user.passwordHash : null, password));
    } catch (e) {
      if (!(e instanceof HashGateFull)) throw e;
      await this.throttle.notChecked(em, keys);
      await this.app.audit.record(em, ctx, { action: 'auth.login', resourceType: 'session', outcome: 'denied', reason: 'busy' });
      throw new HttpProblem(503, 'sign_in_busy', 'Too many sign-ins right now', 'Try again in a moment.', { 'retry-after': '1' });
    }
    const [agency] = user
      ? await sql<{ active: boolean; local_sign_in: boolean; enrolled: boolean }>(
          em,
          `SELECT a.active, a.local_sign_in,
                  EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = ? AND t.confirmed_at IS NOT NULL) AS enrolled
           FROM agency a WHERE a.id = ?`,
          [user.id, user.agencyId],
        )
      : [];
    const userCtx = { ...ctx, actorId: user?.id ?? null, actorAgencyId: user?.agencyId ?? null };
    if (!user || !ok || !user.active || !agency?.active) {
      // The failure was counted when the attempt was reserved.
      await this.app.audit.record(em, userCtx, {
        action: 'auth.login',
        resourceType: 'session',
        outcome: 'denied',
        reason: 'bad_credentials',
      });
      throw new HttpProblem(401, 'bad_credentials', 'Sign-in failed', 'Wrong user name or password.');
    }
    if (!agency.local_sign_in) {
      await transaction(em, async (tx) => {
        await this.throttle.succeeded(tx, keys);
        await this.app.audit.record(tx, userCtx, {
          action: 'auth.login',
          resourceType: 'session',
          outcome: 'denied',
          reason: 'local_sign_in_disabled',
        });
      });
      throw new HttpProblem(
        403,
        'local_sign_in_disabled',
        'Sign in through your organisation',
        'Your organisation signs in through its own identity provider: choose it on the sign-in page.',
      );
    }
    const step = secondFactorStep(this.app.policy.policies.authentication, {
      roles: user.roles,
      mfaExempt: user.mfaExempt,
      enrolled: agency.enrolled,
    });
    if (step !== 'none') {
      const challenge = await transaction(em, async (tx) => {
        await this.throttle.succeeded(tx, keys);
        await this.app.audit.record(tx, userCtx, {
          action: 'auth.password',
          resourceType: 'user',
          resourceId: user.id,
          outcome: 'allowed',
          reason: step === 'enrol' ? 'second_factor_enrolment_required' : 'second_factor_required',
        });
        return this.secondFactor.issueChallenge(tx, user.id, step);
      });
      return { secondFactor: step, challenge, expiresIn: CHALLENGE_TTL_SECONDS };
    }
    return transaction(em, async (tx) => {
      await this.throttle.succeeded(tx, keys);
      return this.openSession(tx, user, ctx);
    });
  }

  /**
   * A new server-side session for a user who has proved who they are, audited in the caller's
   * transaction (made with `transaction`, so that only `sql` runs inside it). `via` names a sign-in
   * that did not use the password (`oidc`), in the audit event's reason.
   */
  async openSession(tx: EntityManager, user: User, ctx: AuditContext, via: string | null = null): Promise<SessionGrant> {
    const sessionId = randomUUID();
    await sql(tx, 'INSERT INTO user_session (id, user_id, expires_at) VALUES (?, ?, now() + make_interval(hours => ?))', [
      sessionId,
      user.id,
      this.app.config.SESSION_MAX_HOURS,
    ]);
    await this.app.audit.record(
      tx,
      { ...ctx, actorId: user.id, actorAgencyId: user.agencyId, actorRole: user.roles.join(',') },
      { action: 'auth.login', resourceType: 'session', resourceId: sessionId, outcome: 'allowed', reason: via },
    );
    return {
      accessToken: this.app.jwt.sign({ sub: user.id, sid: sessionId }),
      expiresIn: this.app.config.ACCESS_TOKEN_TTL_SECONDS,
      user: toPublicUser(user),
      mustChangePassword: user.mustChangePassword,
    };
  }

  /**
   * The second step: a TOTP code (or a recovery code) with the challenge the password gave. For
   * an `enrol` challenge the code confirms the factor just set up and the answer carries the new
   * recovery codes, once. Failures are throttled like passwords, under the user's own keys.
   */
  async completeSecondStep(
    em: EntityManager,
    input: { challenge: string; code?: string; recoveryCode?: string },
    ctx: AuditContext,
  ): Promise<SessionGrant & { recoveryCodes?: string[] }> {
    const c = await this.secondFactor.challenge(em, input.challenge);
    if (!c) {
      await this.app.audit.record(em, ctx, { action: 'auth.mfa', resourceType: 'session', outcome: 'denied', reason: 'challenge_invalid' });
      throw challengeInvalid();
    }
    const user = await em.findOne(User, { id: c.userId });
    const userCtx = { ...ctx, actorId: c.userId, actorAgencyId: user?.agencyId ?? null };
    const keys = throttleKeys(`second-factor:${c.userId}`, ctx.clientIp);
    const wait = await this.throttle.reserve(em, keys);
    if (wait !== null) {
      await this.app.audit.record(em, userCtx, {
        action: 'auth.mfa',
        resourceType: 'user',
        resourceId: c.userId,
        outcome: 'denied',
        reason: 'throttled',
      });
      throw tooManyAttempts(wait);
    }
    if (!user?.active) {
      await this.app.audit.record(em, userCtx, {
        action: 'auth.mfa',
        resourceType: 'user',
        resourceId: c.userId,
        outcome: 'denied',
        reason: 'inactive',
      });
      throw challengeInvalid();
    }
    const result = await transaction(em, async (tx) => {
      let recoveryCodes: string[] | undefined;
      let accepted: boolean;
      if (c.purpose === 'enrol') {
        recoveryCodes =
          input.code === undefined ? undefined : ((await this.secondFactor.confirmEnrolment(tx, user.id, input.code)) ?? undefined);
        accepted = recoveryCodes !== undefined;
      } else if (input.code !== undefined) {
        accepted = await this.secondFactor.verifyCode(tx, user.id, input.code);
      } else {
        accepted = await this.secondFactor.useRecoveryCode(tx, user.id, input.recoveryCode ?? '');
      }
      if (!accepted || !(await this.secondFactor.spendChallenge(tx, c))) return null;
      await this.throttle.succeeded(tx, keys);
      await this.app.audit.record(tx, userCtx, {
        action: 'auth.mfa',
        resourceType: 'user',
        resourceId: user.id,
        outcome: 'allowed',
        reason: c.purpose === 'enrol' ? 'totp_enrolled' : input.code !== undefined ? 'totp' : 'recovery_code',
      });
      const session = await this.openSession(tx, user, ctx);
      return recoveryCodes ? { ...session, recoveryCodes } : session;
    });
    if (!result) {
      // The failure was counted when the attempt was reserved.
      await this.app.audit.record(em, userCtx, {
        action: 'auth.mfa',
        resourceType: 'user',
        resourceId: user.id,
        outcome: 'denied',
        reason: 'bad_second_factor',
      });
      throw new HttpProblem(
        401,
        'bad_second_factor',
        'Wrong code',
        'The code is wrong or has already been used. Enter the code your app shows now.',
      );
    }
    return result;
  }

  /** Sign-in with no second factor yet: the `enrol` challenge sets one up (confirmed by POST /auth/mfa). */
  async startChallengeEnrolment(em: EntityManager, token: string, ctx: AuditContext): Promise<{ otpauthUri: string; qrDataUrl: string }> {
    const c = await this.secondFactor.challenge(em, token);
    const user = c?.purpose === 'enrol' ? await em.findOne(User, { id: c.userId }) : null;
    if (!c || !user?.active) {
      await this.app.audit.record(em, ctx, {
        action: 'auth.mfa.enrol',
        resourceType: 'session',
        outcome: 'denied',
        reason: 'challenge_invalid',
      });
      throw challengeInvalid();
    }
    return transaction(em, async (tx) => {
      const enrolment = await this.secondFactor.startEnrolment(tx, user.id, user.username);
      await this.app.audit.record(
        tx,
        { ...ctx, actorId: user.id, actorAgencyId: user.agencyId },
        { action: 'auth.mfa.enrol', resourceType: 'user', resourceId: user.id, outcome: 'allowed' },
      );
      return enrolment;
    });
  }

  /** The session is live (checked by the auth hook): issue a fresh token for it. */
  refresh(actor: Actor): SessionGrant {
    const accessToken = this.app.jwt.sign({ sub: actor.id, sid: actor.sessionId });
    return {
      accessToken,
      expiresIn: this.app.config.ACCESS_TOKEN_TTL_SECONDS,
      user: { id: actor.id, username: actor.username, displayName: actor.displayName, agencyId: actor.agencyId, roles: actor.roles },
      mustChangePassword: actor.mustChangePassword ?? false,
    };
  }

  /**
   * Resolves the caller from a verified token: the session must be live (not revoked, not past
   * its maximum age or idle time) and the user active. One round trip; `last_seen_at` is bumped
   * at most once a minute so reads do not all become writes.
   */
  async resolveActor(em: EntityManager, userId: string, sessionId: string): Promise<Actor | null> {
    const cached = this.sessions.get(sessionId, userId);
    if (cached) return cached;
    const ticket = this.sessions.readTicket();
    const rows = await em.getConnection().execute<ActorRow[]>(
      `SELECT u.id, u.username, u.display_name, u.agency_id, a.name AS agency_name, a.kind AS agency_kind, u.roles, u.must_change_password,
              s.last_seen_at < now() - interval '60 seconds' AS stale
       FROM user_session s
       JOIN app_user u ON u.id = s.user_id
       JOIN agency a ON a.id = u.agency_id
       WHERE s.id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > now()
         AND s.last_seen_at > now() - make_interval(mins => ?) AND u.active`,
      [sessionId, userId, this.app.config.SESSION_IDLE_MINUTES],
    );
    const r = rows[0];
    if (!r) return null;
    if (r.stale) await em.getConnection().execute('UPDATE user_session SET last_seen_at = now() WHERE id = ?', [sessionId]);
    const actor: Actor = {
      id: r.id,
      username: r.username,
      displayName: r.display_name,
      agencyId: r.agency_id,
      agencyName: r.agency_name,
      agencyKind: r.agency_kind,
      roles: r.roles,
      sessionId,
      mustChangePassword: r.must_change_password,
    };
    this.sessions.set(actor, ticket);
    return actor;
  }

  async logout(em: EntityManager, actor: Actor, ctx: AuditContext): Promise<void> {
    await em.transactional(async (tx) => {
      await tx
        .getConnection()
        .execute(
          'UPDATE user_session SET revoked_at = now() WHERE id = ? AND revoked_at IS NULL',
          [actor.sessionId],
          'run',
          tx.getTransactionContext(),
        );
      await this.announceRevocation(tx, `session:${actor.sessionId}`);
      await this.app.audit.record(tx, ctx, {
        action: 'auth.logout',
        resourceType: 'session',
        resourceId: actor.sessionId,
        outcome: 'allowed',
      });
    });
    this.sessions.revokeSession(actor.sessionId);
  }
}
