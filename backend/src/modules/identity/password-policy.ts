import commonPasswords from 'fxa-common-password-list';
import { randomInt } from 'node:crypto';
import { hashPassword } from './password.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** Why a new password is refused (a machine code the web app maps to a message), or null when it is acceptable. */
export type PasswordProblem = 'password_too_short' | 'password_too_long' | 'password_common' | 'password_contains_username';

/**
 * NIST SP 800-63B: a minimum length and a check against passwords known from breaches (the
 * bundled list), no composition rules. The user name inside the password is refused too.
 */
export function passwordProblem(password: string, username: string): PasswordProblem | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'password_too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'password_too_long';
  if (commonPasswords.test(password) || commonPasswords.test(password.toLowerCase())) return 'password_common';
  if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) return 'password_contains_username';
  return null;
}

// No 0/O, 1/l/I: the initial password is read from a screen and typed by someone else.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A one-time initial password: 4 groups of 5 characters (about 115 bits). */
export function initialPassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g += 1) {
    let s = '';
    for (let i = 0; i < 5; i += 1) s += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(s);
  }
  return groups.join('-');
}

/**
 * The one-time initial password of an account an admin creates: the one the admin gave, or a
 * generated one. The account must change it at first sign-in (`must_change_password`).
 */
export async function initialCredentials(requested?: string): Promise<{ initialPassword: string; passwordHash: string }> {
  const initial = requested ?? initialPassword();
  return { initialPassword: initial, passwordHash: await hashPassword(initial) };
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** A one-time recovery code: 12 characters in groups of four, case-insensitive (about 59 bits). */
export function recoveryCode(): string {
  let s = '';
  for (let i = 0; i < 12; i += 1) s += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

/** A recovery code as typed (any case, spaces or dashes) in the form it was hashed in. */
export const normalizeRecoveryCode = (code: string): string => code.toLowerCase().replace(/[\s-]/g, '');
