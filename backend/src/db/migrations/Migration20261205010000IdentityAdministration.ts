import { Migration } from '@mikro-orm/migrations';

/**
 * Identity and administration (issue 13), the tables several parts share:
 * - an agency's areas, whether it is active, whether its users may sign in with a local password,
 *   and its OpenID Connect provider. The client secret is never stored: `client_secret_ref` names
 *   an environment variable (`env:NAME`) or a file in KEYS_DIR (`file:name`).
 * - a user's subject at the agency's provider (accounts are pre-provisioned, never created at
 *   sign-in), a SCIM externalId, a forced password change, and a demo-only second-factor exemption.
 *   An account that only signs in through its provider has no password hash.
 * - the second factor: one TOTP secret per user (sealed with a key from KEYS_DIR, since the server
 *   must read it back), the last accepted time step (a code is accepted once), recovery codes
 *   hashed like passwords.
 * - role grants waiting for a second admin (four eyes), and SCIM bearer tokens per agency (hashed).
 */
export class Migration20261205010000IdentityAdministration extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      ALTER TABLE agency
        ADD COLUMN areas text[] NOT NULL DEFAULT '{}',
        ADD COLUMN active boolean NOT NULL DEFAULT true,
        ADD COLUMN deactivated_at timestamptz,
        ADD COLUMN local_sign_in boolean NOT NULL DEFAULT true;

      CREATE TABLE agency_idp (
        agency_id uuid PRIMARY KEY REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        issuer text NOT NULL CHECK (issuer ~ '^https?://' AND length(issuer) <= 500),
        client_id text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 200),
        client_secret_ref text CHECK (client_secret_ref ~ '^(env:[A-Z][A-Z0-9_]{0,99}|file:[A-Za-z0-9._-]{1,100})$'),
        scopes text[] NOT NULL DEFAULT ARRAY['openid'],
        subject_claim text NOT NULL DEFAULT 'sub' CHECK (length(subject_claim) BETWEEN 1 AND 100),
        acr_values text[] NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      ALTER TABLE app_user
        ALTER COLUMN password_hash DROP NOT NULL,
        ADD COLUMN oidc_subject text CHECK (length(oidc_subject) BETWEEN 1 AND 255),
        ADD COLUMN external_id text CHECK (length(external_id) BETWEEN 1 AND 255),
        ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
        ADD COLUMN mfa_exempt boolean NOT NULL DEFAULT false,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
      CREATE UNIQUE INDEX app_user_oidc_subject_uq ON app_user (agency_id, oidc_subject) WHERE oidc_subject IS NOT NULL;
      CREATE UNIQUE INDEX app_user_external_id_uq ON app_user (agency_id, external_id) WHERE external_id IS NOT NULL;

      CREATE TABLE user_totp (
        user_id uuid PRIMARY KEY REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        secret_sealed text NOT NULL,
        confirmed_at timestamptz,
        last_step bigint,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE user_recovery_code (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        code_hash text NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX user_recovery_code_user_idx ON user_recovery_code (user_id) WHERE used_at IS NULL;

      CREATE TABLE role_request (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        roles_before text[] NOT NULL,
        roles_after text[] NOT NULL,
        requested_by uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        requested_at timestamptz NOT NULL DEFAULT now(),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected','superseded')),
        decided_by uuid REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        decided_at timestamptz,
        CHECK (decided_by IS NULL OR decided_by <> requested_by)
      );
      CREATE UNIQUE INDEX role_request_pending_uq ON role_request (user_id) WHERE status = 'pending';

      CREATE TABLE scim_token (
        id uuid PRIMARY KEY,
        agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        token_hash text NOT NULL UNIQUE,
        created_by uuid REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );
    `);
  }
}
