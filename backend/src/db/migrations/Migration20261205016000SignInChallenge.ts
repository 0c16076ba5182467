import { Migration } from '@mikro-orm/migrations';

/**
 * The second step of a local sign-in: after a right password, a user who must give a second
 * factor gets a short-lived challenge instead of a session. Kept server-side by a hash of its
 * token (a leaked table alone completes no sign-in); `purpose` is `verify` (a TOTP or recovery
 * code) or `enrol` (no factor yet: the challenge only lets the user set one up). A challenge
 * gives one session: `used_at` is set when it does.
 */
export class Migration20261205016000SignInChallenge extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE sign_in_challenge (
        token_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        purpose text NOT NULL CHECK (purpose IN ('verify', 'enrol')),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      );
      CREATE INDEX sign_in_challenge_expires_idx ON sign_in_challenge (expires_at);
    `);
  }
}
