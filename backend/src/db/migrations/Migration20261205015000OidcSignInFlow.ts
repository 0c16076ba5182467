import { Migration } from '@mikro-orm/migrations';

/**
 * A sign-in through an agency's OpenID Connect provider that has been started and not yet
 * finished: what the callback must check (PKCE verifier, nonce) is kept here, server-side, keyed
 * by a hash of `state` (a leaked table alone does not let anyone complete a flow). A row is
 * deleted when its callback arrives, so a `state` is accepted once; rows live a few minutes.
 */
export class Migration20261205015000OidcSignInFlow extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE oidc_flow (
        state_hash text PRIMARY KEY,
        agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        nonce text NOT NULL,
        code_verifier text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX oidc_flow_expires_idx ON oidc_flow (expires_at);
    `);
  }
}
