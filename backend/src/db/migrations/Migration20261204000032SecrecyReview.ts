import { Migration } from '@mikro-orm/migrations';

/**
 * Secrecy reviews of a protected person's log extract (sekretessprövning): an auditor's decision
 * whether the agencies that accessed the person's data may be named in the extract. Kept like
 * the other records of decisions: append-only (a new review supersedes, never edits, the last).
 */
export class Migration20261204000032SecrecyReview extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE subject_secrecy_review (
        id uuid PRIMARY KEY,
        subject_id uuid NOT NULL REFERENCES subject(id) DEFERRABLE INITIALLY DEFERRED,
        decision text NOT NULL CHECK (decision IN ('release', 'withhold')),
        reason_code text NOT NULL CHECK (reason_code IN ('no_harm', 'harm_risk', 'protected_whereabouts', 'other_secrecy')),
        reviewed_by uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        reviewed_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX subject_secrecy_review_subject_idx ON subject_secrecy_review (subject_id, reviewed_at DESC, id);

      CREATE FUNCTION subject_secrecy_review_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'secrecy reviews are append-only: % refused; record a new review', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER subject_secrecy_review_append_only BEFORE UPDATE OR DELETE ON subject_secrecy_review
        FOR EACH ROW EXECUTE FUNCTION subject_secrecy_review_append_only();
      CREATE TRIGGER subject_secrecy_review_no_truncate BEFORE TRUNCATE ON subject_secrecy_review
        FOR EACH STATEMENT EXECUTE FUNCTION subject_secrecy_review_append_only();
    `);
  }
}
