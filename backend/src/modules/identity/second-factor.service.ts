import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from '../../db/sql.js';
import { conflict } from '../../lib/problem.js';
import { normalizeRecoveryCode, recoveryCode } from './password-policy.js';
import { enrolmentOf, newTotpSecret, openSecret, sealSecret, verifyTotp } from './totp.js';

/** A sign-in's second step lives this long: time to open the authenticator app, not to walk away. */
export const CHALLENGE_TTL_SECONDS = 300;
export const RECOVERY_CODE_COUNT = 10;

export type ChallengePurpose = 'verify' | 'enrol';

export interface Challenge {
  tokenHash: string;
  userId: string;
  purpose: ChallengePurpose;
}

interface TotpRow {
  secret_sealed: string;
  confirmed: boolean;
  last_step: string | null;
}

const tokenHashOf = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * The second factor of a local account: the sign-in challenge that stands between a right
 * password and a session, TOTP enrolment (the secret sealed with the `totp` key from KEYS_DIR,
 * since the server must read it back), codes accepted once each, and one-time recovery codes kept
 * as an HMAC under the same key (a copy of the table alone cannot be searched for them).
 */
export class SecondFactorService {
  constructor(private readonly key: Buffer) {}

  async issueChallenge(tx: EntityManager, userId: string, purpose: ChallengePurpose): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    // Spent and stale challenges go with each new one (everyone's after a day): the table stays small.
    await sql(
      tx,
      `DELETE FROM sign_in_challenge
       WHERE (user_id = ? AND (used_at IS NOT NULL OR expires_at < now())) OR expires_at < now() - interval '1 day'`,
      [userId],
    );
    await sql(
      tx,
      'INSERT INTO sign_in_challenge (token_hash, user_id, purpose, expires_at) VALUES (?, ?, ?, now() + make_interval(secs => ?))',
      [tokenHashOf(token), userId, purpose, CHALLENGE_TTL_SECONDS],
    );
    return token;
  }

  /** A live, unused challenge; null for an unknown, expired or spent one. */
  async challenge(em: EntityManager, token: string): Promise<Challenge | null> {
    const [row] = await sql<{ token_hash: string; user_id: string; purpose: ChallengePurpose }>(
      em,
      'SELECT token_hash, user_id, purpose FROM sign_in_challenge WHERE token_hash = ? AND used_at IS NULL AND expires_at > now()',
      [tokenHashOf(token)],
    );
    return row ? { tokenHash: row.token_hash, userId: row.user_id, purpose: row.purpose } : null;
  }

  /** Spends the challenge; false when another request spent it first. */
  async spendChallenge(tx: EntityManager, c: Challenge): Promise<boolean> {
    const rows = await sql(
      tx,
      'UPDATE sign_in_challenge SET used_at = now() WHERE token_hash = ? AND used_at IS NULL AND expires_at > now() RETURNING 1 AS ok',
      [c.tokenHash],
    );
    return rows.length === 1;
  }

  /** Whether a factor is confirmed (and when, ISO 8601), and how many recovery codes are unused. */
  async enrolled(em: EntityManager, userId: string): Promise<{ enrolled: boolean; confirmedAt: string | null; recoveryCodesLeft: number }> {
    const [row] = await sql<{ confirmed_at: string | null; left: number }>(
      em,
      `SELECT to_char(t.confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS confirmed_at,
              (SELECT count(*)::int FROM user_recovery_code r WHERE r.user_id = ? AND r.used_at IS NULL) AS left
       FROM (SELECT ?::uuid AS user_id) u LEFT JOIN user_totp t ON t.user_id = u.user_id`,
      [userId, userId],
    );
    return { enrolled: !!row?.confirmed_at, confirmedAt: row?.confirmed_at ?? null, recoveryCodesLeft: row?.left ?? 0 };
  }

  /**
   * A secret waiting for its first code: the one set up in the last few minutes if any (a page
   * shown again must not invalidate what the user just scanned), else a new one. A confirmed
   * factor is never replaced this way (an admin resets it): whoever holds a session or a password
   * alone cannot swap the user's factor.
   */
  async startEnrolment(tx: EntityManager, userId: string, label: string): Promise<{ otpauthUri: string; qrDataUrl: string }> {
    const [row] = await sql<{ secret_sealed: string; confirmed: boolean; fresh: boolean }>(
      tx,
      `SELECT secret_sealed, confirmed_at IS NOT NULL AS confirmed, created_at > now() - make_interval(secs => ?) AS fresh
       FROM user_totp WHERE user_id = ? FOR UPDATE`,
      [CHALLENGE_TTL_SECONDS, userId],
    );
    if (row?.confirmed) {
      throw conflict(
        'A second factor is already set up for this account. To move it to a new device, ask an administrator to reset it.',
        'totp_already_enrolled',
      );
    }
    const pending = row?.fresh ? openSecret(this.key, userId, row.secret_sealed) : null;
    if (pending) return enrolmentOf(pending, label);
    const secret = newTotpSecret();
    await sql(
      tx,
      `INSERT INTO user_totp (user_id, secret_sealed) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, last_step = NULL, created_at = now()`,
      [userId, sealSecret(this.key, userId, secret)],
    );
    return enrolmentOf(secret, label);
  }

  /**
   * Checks a code against the waiting secret; on success the factor is confirmed (its step
   * spent) and a fresh set of recovery codes replaces any earlier one. Null: the code is wrong,
   * or no enrolment is waiting.
   */
  async confirmEnrolment(tx: EntityManager, userId: string, code: string): Promise<string[] | null> {
    const [row] = await sql<TotpRow>(
      tx,
      'SELECT secret_sealed, confirmed_at IS NOT NULL AS confirmed, last_step FROM user_totp WHERE user_id = ? FOR UPDATE',
      [userId],
    );
    if (!row || row.confirmed) return null;
    const secret = openSecret(this.key, userId, row.secret_sealed);
    const step = secret === null ? null : await verifyTotp(secret, code, null);
    if (step === null) return null;
    await sql(tx, 'UPDATE user_totp SET confirmed_at = now(), last_step = ? WHERE user_id = ?', [step, userId]);
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);
    await sql(tx, 'DELETE FROM user_recovery_code WHERE user_id = ?', [userId]);
    await sql(tx, `INSERT INTO user_recovery_code (id, user_id, code_hash) SELECT gen_random_uuid(), ?, h FROM unnest(?::text[]) AS h`, [
      userId,
      codes.map((c) => this.recoveryHash(userId, c)),
    ]);
    return codes;
  }

  /** A TOTP code of the confirmed factor, each step accepted once (±1 step of drift). */
  async verifyCode(tx: EntityManager, userId: string, code: string): Promise<boolean> {
    const [row] = await sql<TotpRow>(
      tx,
      'SELECT secret_sealed, confirmed_at IS NOT NULL AS confirmed, last_step FROM user_totp WHERE user_id = ? FOR UPDATE',
      [userId],
    );
    if (!row?.confirmed) return false;
    const secret = openSecret(this.key, userId, row.secret_sealed);
    const step = secret === null ? null : await verifyTotp(secret, code, row.last_step === null ? null : Number(row.last_step));
    if (step === null) return false;
    await sql(tx, 'UPDATE user_totp SET last_step = ? WHERE user_id = ?', [step, userId]);
    return true;
  }

  /** A recovery code, spent at once. */
  async useRecoveryCode(tx: EntityManager, userId: string, code: string): Promise<boolean> {
    const rows = await sql(
      tx,
      'UPDATE user_recovery_code SET used_at = now() WHERE user_id = ? AND code_hash = ? AND used_at IS NULL RETURNING 1 AS ok',
      [userId, this.recoveryHash(userId, code)],
    );
    return rows.length === 1;
  }

  private recoveryHash(userId: string, code: string): string {
    return createHmac('sha256', this.key)
      .update(`${userId}:${normalizeRecoveryCode(code)}`)
      .digest('hex');
  }
}
