import { Migration } from '@mikro-orm/migrations';

/**
 * SCIM provisioning (issue 13): the given and family name a directory sends (so that its next
 * sync finds nothing to change), and when a directory deleted the user. A deleted user keeps its
 * row, deactivated, for the audit trail; SCIM answers 404 for it from then on (RFC 7644 §3.6).
 * The filter `userName eq "…"` compares case-insensitively within one agency: an index for it.
 */
export class Migration20261205018000ScimUsers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      ALTER TABLE app_user
        ADD COLUMN given_name text CHECK (length(given_name) BETWEEN 1 AND 200),
        ADD COLUMN family_name text CHECK (length(family_name) BETWEEN 1 AND 200),
        ADD COLUMN scim_deleted_at timestamptz;
      CREATE INDEX app_user_scim_user_name_idx ON app_user (agency_id, lower(coalesce(oidc_subject, username)));
    `);
  }
}
