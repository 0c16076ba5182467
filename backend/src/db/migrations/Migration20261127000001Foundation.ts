import { Migration } from '@mikro-orm/migrations';

export class Migration20261127000001Foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE agency (
        id uuid PRIMARY KEY,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        kind text NOT NULL CHECK (kind IN ('school','social_services','police','leisure','other')),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX agency_name_uq ON agency (lower(name));

      CREATE TABLE app_user (
        id uuid PRIMARY KEY,
        username text NOT NULL CHECK (username ~ '^[a-z0-9._-]{2,64}$'),
        display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
        password_hash text NOT NULL,
        agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        roles text[] NOT NULL CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['social_worker','partner','coordinator','auditor','admin']::text[]),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        deactivated_at timestamptz
      );
      CREATE UNIQUE INDEX app_user_username_uq ON app_user (username);
      CREATE INDEX app_user_agency_idx ON app_user (agency_id);

      CREATE TABLE user_session (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      );
      CREATE INDEX user_session_user_idx ON user_session (user_id) WHERE revoked_at IS NULL;

      -- Failed sign-ins, for throttling. The user name is stored hashed: a mistyped password
      -- pasted into the user name field must not be kept in clear.
      CREATE TABLE login_failure (
        id bigserial PRIMARY KEY,
        username_hash text NOT NULL,
        address text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX login_failure_user_idx ON login_failure (username_hash, at);
      CREATE INDEX login_failure_addr_idx ON login_failure (address, at);

      -- Audit events are only ever inserted here by requests, in the transaction of what they
      -- record. References only: never names or free text.
      CREATE TABLE audit_queue (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor_id uuid,
        actor_agency_id uuid,
        actor_role text,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        case_id uuid,
        subject_id uuid,
        outcome text NOT NULL CHECK (outcome IN ('allowed','denied','error')),
        reason text,
        consent_ids uuid[] NOT NULL DEFAULT '{}',
        request_id text,
        client_ip text
      );
    `);
  }
}
