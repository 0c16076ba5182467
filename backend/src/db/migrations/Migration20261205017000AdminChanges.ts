import { Migration } from '@mikro-orm/migrations';

/**
 * What an admin changed, before and after (issue 13 §3): the audit event says who did what to
 * which id; this row, written in the same transaction under the same request id, says what the
 * values were. Never a password, a secret or case content: only the administered fields of a
 * user (name, e-mail, agency, provider subject, roles, active) or an agency (name, kind, areas,
 * sign-in settings, the provider's secret *reference*). Append-only, like the journal.
 *
 * A user may now hold no role at all: a new user given only roles that wait for a second admin
 * (four eyes) has none until the approval, and every action is denied to them meanwhile.
 */
export class Migration20261205017000AdminChanges extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      ALTER TABLE app_user DROP CONSTRAINT app_user_roles_check,
        ADD CONSTRAINT app_user_roles_check
          CHECK (roles <@ ARRAY['social_worker','partner','coordinator','auditor','admin']::text[]);

      CREATE TABLE admin_change (
        id uuid PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        request_id text NOT NULL,
        action text NOT NULL,
        resource_type text NOT NULL CHECK (resource_type IN ('user', 'agency', 'role_request')),
        resource_id uuid NOT NULL,
        before jsonb,
        after jsonb
      );
      CREATE INDEX admin_change_at_idx ON admin_change (at DESC, id DESC);
      CREATE INDEX admin_change_resource_idx ON admin_change (resource_id, at DESC);

      CREATE FUNCTION admin_change_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'admin changes are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER admin_change_append_only BEFORE UPDATE OR DELETE ON admin_change
        FOR EACH ROW EXECUTE FUNCTION admin_change_append_only();
      CREATE TRIGGER admin_change_no_truncate BEFORE TRUNCATE ON admin_change
        FOR EACH STATEMENT EXECUTE FUNCTION admin_change_append_only();
    `);
  }
}
