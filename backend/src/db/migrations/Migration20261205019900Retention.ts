import { Migration } from '@mikro-orm/migrations';

/**
 * Retention (gallring, issue 16 §3). Case content is erased by one function,
 * `retention_erase_case`, that runs as its own role `samverka_retention`: the only role that may
 * delete from the content tables, and only through that function (NOLOGIN, no members). The
 * append-only triggers let a DELETE through for that role alone; UPDATE and TRUNCATE stay refused
 * for everyone, and the disclosure ledger and the audit trail are never touched. The API role may
 * only EXECUTE the function, which refuses a case that is not closed.
 *
 * `retention_erasure` is the record of what was erased, when and under which rule: ids and
 * counts, never content. It is append-only like the other records.
 */
export class Migration20261205019900Retention extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      DO $role$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'samverka_retention') THEN
          CREATE ROLE samverka_retention NOLOGIN;
        END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $role$;

      CREATE TABLE retention_erasure (
        id uuid PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('case','concern')),
        resource_id uuid NOT NULL UNIQUE,
        reference text,
        rule text NOT NULL CHECK (rule ~ '^[a-z_]{1,60}$'),
        last_entry_at timestamptz NOT NULL,
        subject_erased boolean NOT NULL,
        counts jsonb NOT NULL,
        erased_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX retention_erasure_at_idx ON retention_erasure (erased_at DESC, id);
      CREATE TRIGGER retention_erasure_append_only BEFORE UPDATE OR DELETE ON retention_erasure
        FOR EACH ROW EXECUTE FUNCTION consent_append_only();
      CREATE TRIGGER retention_erasure_no_truncate BEFORE TRUNCATE ON retention_erasure
        FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();

      -- The append-only records refuse changes for everyone but a DELETE by the retention role.
      CREATE OR REPLACE FUNCTION journal_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_user = 'samverka_retention' THEN RETURN OLD; END IF;
        RAISE EXCEPTION 'journal entries are append-only: % refused; record a correcting entry', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE OR REPLACE FUNCTION consent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_user = 'samverka_retention' THEN RETURN OLD; END IF;
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE OR REPLACE FUNCTION plan_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_user = 'samverka_retention' THEN RETURN OLD; END IF;
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE OR REPLACE FUNCTION case_responsibility_change_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_user = 'samverka_retention' THEN RETURN OLD; END IF;
        RAISE EXCEPTION 'the responsibility history is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE OR REPLACE FUNCTION subject_secrecy_review_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_user = 'samverka_retention' THEN RETURN OLD; END IF;
        RAISE EXCEPTION 'secrecy reviews are append-only: % refused; record a new review', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE OR REPLACE FUNCTION consent_only_withdraw() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_user = 'samverka_retention' THEN RETURN OLD; END IF;
        IF TG_OP <> 'UPDATE' THEN
          RAISE EXCEPTION 'consent rows are never deleted' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.withdrawn_at IS NOT NULL THEN
          RAISE EXCEPTION 'consent % is already withdrawn', OLD.id USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (to_jsonb(NEW) - 'withdrawn_at' - 'withdrawn_by' - 'withdrawal_reason')
           IS DISTINCT FROM (to_jsonb(OLD) - 'withdrawn_at' - 'withdrawn_by' - 'withdrawal_reason') THEN
          RAISE EXCEPTION 'a consent is never edited; record a new one' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$;

      -- Erases one closed case's content, its consents and receipts, the concerns that led to it,
      -- and the subject and guardians when no other case holds them. Returns the counts per table.
      CREATE FUNCTION retention_erase_case(p_case uuid, p_rule text, p_last_entry timestamptz) RETURNS jsonb
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      DECLARE
        c record;
        n integer;
        counts jsonb := '{}';
        subject_gone boolean := false;
      BEGIN
        SELECT id, subject_id, status, case_number INTO c FROM support_case WHERE id = p_case;
        IF NOT FOUND THEN RETURN NULL; END IF;
        IF c.status <> 'closed' THEN
          RAISE EXCEPTION 'case % is not closed: an open case is never erased', p_case USING ERRCODE = 'check_violation';
        END IF;
        DELETE FROM meeting_decision WHERE meeting_id IN (SELECT id FROM meeting WHERE case_id = p_case);
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('meeting_decision', n);
        DELETE FROM document WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('document', n);
        DELETE FROM plan_item_follow_up WHERE plan_item_id IN (SELECT id FROM plan_item WHERE case_id = p_case);
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('plan_item_follow_up', n);
        DELETE FROM plan_item_change WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('plan_item_change', n);
        DELETE FROM meeting WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('meeting', n);
        DELETE FROM plan_item WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('plan_item', n);
        DELETE FROM journal_entry WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('journal_entry', n);
        DELETE FROM case_outcome_event WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('case_outcome_event', n);
        DELETE FROM case_contact WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('case_contact', n);
        DELETE FROM case_responsibility_change WHERE case_id = p_case;
        DELETE FROM case_last_seen WHERE case_id = p_case;
        DELETE FROM case_participant WHERE case_id = p_case;
        DELETE FROM consent_receipt WHERE consent_id IN (SELECT id FROM consent WHERE case_id = p_case);
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('consent_receipt', n);
        DELETE FROM consent WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('consent', n);
        DELETE FROM concern WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('concern', n);
        -- Checked again under the row's lock: a case reopened meanwhile rolls everything back.
        DELETE FROM support_case WHERE id = p_case AND status = 'closed';
        IF NOT FOUND THEN
          RAISE EXCEPTION 'case % is not closed: an open case is never erased', p_case USING ERRCODE = 'check_violation';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM support_case WHERE subject_id = c.subject_id) THEN
          DELETE FROM guardian WHERE subject_id = c.subject_id;
          GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('guardian', n);
          DELETE FROM subject_secrecy_review WHERE subject_id = c.subject_id;
          DELETE FROM subject WHERE id = c.subject_id;
          subject_gone := true;
        END IF;
        INSERT INTO retention_erasure (id, kind, resource_id, reference, rule, last_entry_at, subject_erased, counts)
          VALUES (gen_random_uuid(), 'case', p_case, c.case_number, p_rule, p_last_entry, subject_gone, counts);
        RETURN counts || jsonb_build_object('subject', CASE WHEN subject_gone THEN 1 ELSE 0 END);
      END $fn$;

      -- A concern that led to no case, after its own period.
      CREATE FUNCTION retention_erase_concern(p_concern uuid, p_rule text, p_last_entry timestamptz) RETURNS boolean
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      DECLARE
        ref text;
      BEGIN
        DELETE FROM concern WHERE id = p_concern AND status = 'closed' AND case_id IS NULL RETURNING reference INTO ref;
        IF NOT FOUND THEN RETURN false; END IF;
        INSERT INTO retention_erasure (id, kind, resource_id, reference, rule, last_entry_at, subject_erased, counts)
          VALUES (gen_random_uuid(), 'concern', p_concern, ref, p_rule, p_last_entry, true, '{"concern": 1}');
        RETURN true;
      END $fn$;

      GRANT USAGE ON SCHEMA public TO samverka_retention;
      GRANT SELECT ON support_case, meeting, plan_item, consent TO samverka_retention;
      GRANT SELECT, DELETE ON meeting_decision, document, plan_item_follow_up, plan_item_change, meeting, plan_item,
        journal_entry, case_outcome_event, case_contact, case_responsibility_change, case_last_seen, case_participant,
        consent_receipt, consent, concern, support_case, guardian, subject_secrecy_review, subject TO samverka_retention;
      GRANT INSERT ON retention_erasure TO samverka_retention;
      -- case_count is kept by a trigger on support_case, which runs as the deleting role.
      GRANT SELECT, INSERT, UPDATE ON case_count TO samverka_retention;
      ALTER FUNCTION retention_erase_case(uuid, text, timestamptz) OWNER TO samverka_retention;
      ALTER FUNCTION retention_erase_concern(uuid, text, timestamptz) OWNER TO samverka_retention;
      REVOKE ALL ON FUNCTION retention_erase_case(uuid, text, timestamptz), retention_erase_concern(uuid, text, timestamptz) FROM PUBLIC;
      DO $grant$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'samverka_app') THEN
          GRANT EXECUTE ON FUNCTION retention_erase_case(uuid, text, timestamptz), retention_erase_concern(uuid, text, timestamptz) TO samverka_app;
        END IF;
      END $grant$;
    `);
  }
}
