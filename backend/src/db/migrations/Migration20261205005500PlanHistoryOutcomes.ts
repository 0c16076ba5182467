import { Migration } from '@mikro-orm/migrations';

/**
 * A plan that can change, and closing with structure.
 *
 * - `plan_item_change`: every change of a plan item (goal, action, responsible agency, due date,
 *   status), who made it and when, with the old and new values of the fields it changed; written
 *   in the transaction of the change. `cause` tells an edit from a reassignment made because the
 *   responsible agency left the case.
 * - `case_outcome_event`: every close (with its outcome code from policies/case-outcomes.yaml and
 *   free text) and every reopen (with its reason).
 * Both are records: append-only (the application role may read and add; src/db/grants.ts).
 */
export class Migration20261205005500PlanHistoryOutcomes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE plan_item_change (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        plan_item_id uuid NOT NULL REFERENCES plan_item(id) DEFERRABLE INITIALLY DEFERRED,
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        cause text NOT NULL CHECK (cause IN ('update','reassign')),
        fields text[] NOT NULL CHECK (cardinality(fields) >= 1),
        old_values jsonb NOT NULL,
        new_values jsonb NOT NULL,
        changed_by_user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        changed_by_agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        changed_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX plan_item_change_item_idx ON plan_item_change (plan_item_id, seq);

      CREATE TABLE case_outcome_event (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        kind text NOT NULL CHECK (kind IN ('closed','reopened')),
        outcome_code text CHECK (outcome_code ~ '^[a-z_]{1,40}$'),
        outcome_text text CHECK (length(outcome_text) BETWEEN 1 AND 5000),
        reason text CHECK (length(reason) BETWEEN 1 AND 2000),
        user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'closed') = (outcome_code IS NOT NULL AND outcome_text IS NOT NULL AND reason IS NULL)),
        CHECK ((kind = 'reopened') = (reason IS NOT NULL AND outcome_code IS NULL AND outcome_text IS NULL))
      );
      CREATE INDEX case_outcome_event_case_idx ON case_outcome_event (case_id, seq);

      ALTER TABLE support_case ADD COLUMN outcome_code text CHECK (outcome_code ~ '^[a-z_]{1,40}$');

      CREATE FUNCTION plan_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER plan_item_change_append_only BEFORE UPDATE OR DELETE ON plan_item_change
        FOR EACH ROW EXECUTE FUNCTION plan_history_append_only();
      CREATE TRIGGER plan_item_change_no_truncate BEFORE TRUNCATE ON plan_item_change
        FOR EACH STATEMENT EXECUTE FUNCTION plan_history_append_only();
      CREATE TRIGGER case_outcome_event_append_only BEFORE UPDATE OR DELETE ON case_outcome_event
        FOR EACH ROW EXECUTE FUNCTION plan_history_append_only();
      CREATE TRIGGER case_outcome_event_no_truncate BEFORE TRUNCATE ON case_outcome_event
        FOR EACH STATEMENT EXECUTE FUNCTION plan_history_append_only();
    `);
  }
}
