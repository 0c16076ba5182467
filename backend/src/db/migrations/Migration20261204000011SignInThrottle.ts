import { Migration } from '@mikro-orm/migrations';

/**
 * Sign-in throttling as counters that a sign-in reserves before its password is checked (one
 * row per key, locked while a sign-in decides), instead of failures counted after the fact: a
 * burst of parallel guesses can no longer all pass the check before the first failure is
 * written. Keys: `pair:<user name hash>:<address>` (growing delays), `user:<hash>` and
 * `addr:<address>` (fixed windows). User names are kept hashed, as before.
 *
 * The request id in an audit row is now always the server's own; a client's `x-request-id`
 * (e.g. the web app's) is kept beside it in `client_request_id`, outside the hashed event: it
 * is an unchecked claim by the caller, for matching logs, not evidence (see plugins/app/audit.ts).
 */
export class Migration20261204000011SignInThrottle extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE login_throttle (
        key text PRIMARY KEY,
        failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
        window_started_at timestamptz NOT NULL DEFAULT now(),
        last_failure_at timestamptz NOT NULL DEFAULT now()
      );
      DROP TABLE login_failure;

      ALTER TABLE audit_queue ADD COLUMN client_request_id text CHECK (length(client_request_id) <= 64);
      ALTER TABLE audit_log ADD COLUMN client_request_id text CHECK (length(client_request_id) <= 64);
      GRANT INSERT (client_request_id) ON audit_queue TO samverka_app;
    `);
  }
}
