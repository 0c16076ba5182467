import { Migration } from '@mikro-orm/migrations';

/**
 * The person's own view (issue 16 §1–2): citizens — the young person and the guardians with
 * custody — sign in through the municipality's e-service identity provider, see and withdraw
 * their consents, and answer consent requests a social worker prepared.
 *
 * - `citizen_flow`: a started citizen sign-in (PKCE verifier and nonce, keyed by a hash of
 *   `state`), deleted when its callback arrives — a `state` is accepted once.
 * - `citizen_session`: a citizen's server-side session, separate from staff sessions. It keeps the
 *   personal identity number the provider vouched for (who the session is) and the hash and
 *   transaction reference of the provider's signed assertion (the evidence of a digital consent).
 * - `consent_request`: the exact scope a social worker asks the person (or each guardian with
 *   custody) to consent to; `consent_request_answer` each answerer's accept or decline, once,
 *   with the assertion's evidence (append-only). An accept creates a consent of method `digital`.
 * - `citizen_access_review`: a social worker's decision that a person with protected identity (or
 *   a subject with sekretessmarkering) may use the citizen view; until one says `release`, the view
 *   only says "contact your social worker" (append-only, the newest decides).
 * - `guardian.protected_identity`: a guardian may have protected identity of their own.
 * - A consent withdrawn by the person themselves: `withdrawn_by_kind` (subject | guardian) and the
 *   guardian, no staff user and an optional reason; `consent_withdrawal_receipt` its signed receipt.
 *
 * Retention: the case's requests, answers and withdrawal receipts go with the case; the access
 * reviews go with the subject (`retention_erase_case` is replaced with those lines added).
 */
export class Migration20261206000100CitizenView extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE citizen_flow (
        state_hash text PRIMARY KEY,
        nonce text NOT NULL,
        code_verifier text NOT NULL,
        return_to text CHECK (return_to ~ '^/[A-Za-z0-9/_-]{0,200}$'),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX citizen_flow_expires_idx ON citizen_flow (expires_at);

      CREATE TABLE citizen_session (
        id uuid PRIMARY KEY,
        personal_identity_number text NOT NULL CHECK (personal_identity_number ~ '^[0-9]{12}$'),
        acr text NOT NULL,
        assertion_sha256 text NOT NULL CHECK (assertion_sha256 ~ '^[0-9a-f]{64}$'),
        transaction_ref text NOT NULL CHECK (length(transaction_ref) BETWEEN 1 AND 200),
        authenticated_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        ended_at timestamptz
      );
      CREATE INDEX citizen_session_expires_idx ON citizen_session (expires_at);

      ALTER TABLE guardian ADD COLUMN protected_identity text NOT NULL DEFAULT 'none'
        CHECK (protected_identity IN ('none', 'sekretessmarkering', 'skyddad_folkbokforing'));
      CREATE INDEX guardian_pin_idx ON guardian (personal_identity_number) WHERE personal_identity_number IS NOT NULL;

      CREATE TABLE consent_request (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        subject_id uuid NOT NULL REFERENCES subject(id) DEFERRABLE INITIALLY DEFERRED,
        agency_ids uuid[] NOT NULL CHECK (cardinality(agency_ids) >= 2),
        categories text[] NOT NULL CHECK (cardinality(categories) >= 1),
        purpose text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 2000),
        explanation text CHECK (length(explanation) BETWEEN 1 AND 4000),
        valid_from date NOT NULL,
        valid_to date NOT NULL,
        created_by uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        expires_at timestamptz NOT NULL,
        cancelled_at timestamptz,
        cancelled_by uuid REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        CHECK (valid_to >= valid_from),
        CHECK (expires_at > created_at),
        CHECK ((cancelled_at IS NULL) = (cancelled_by IS NULL))
      );
      CREATE INDEX consent_request_case_idx ON consent_request (case_id, created_at DESC);
      CREATE INDEX consent_request_subject_idx ON consent_request (subject_id, created_at DESC);

      CREATE TABLE consent_request_answer (
        id uuid PRIMARY KEY,
        request_id uuid NOT NULL REFERENCES consent_request(id) DEFERRABLE INITIALLY DEFERRED,
        answered_by_kind text NOT NULL CHECK (answered_by_kind IN ('subject', 'guardian')),
        guardian_id uuid REFERENCES guardian(id) DEFERRABLE INITIALLY DEFERRED,
        decision text NOT NULL CHECK (decision IN ('accept', 'decline')),
        acr text NOT NULL,
        assertion_sha256 text NOT NULL CHECK (assertion_sha256 ~ '^[0-9a-f]{64}$'),
        transaction_ref text NOT NULL CHECK (length(transaction_ref) BETWEEN 1 AND 200),
        consent_id uuid REFERENCES consent(id) DEFERRABLE INITIALLY DEFERRED,
        answered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CHECK ((answered_by_kind = 'guardian') = (guardian_id IS NOT NULL)),
        CHECK ((decision = 'accept') = (consent_id IS NOT NULL))
      );
      -- Each answerer answers a request once.
      CREATE UNIQUE INDEX consent_request_answer_once_idx
        ON consent_request_answer (request_id, answered_by_kind, coalesce(guardian_id, '00000000-0000-0000-0000-000000000000'::uuid));
      CREATE TRIGGER consent_request_answer_append_only BEFORE UPDATE OR DELETE ON consent_request_answer
        FOR EACH ROW EXECUTE FUNCTION consent_append_only();
      CREATE TRIGGER consent_request_answer_no_truncate BEFORE TRUNCATE ON consent_request_answer
        FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();

      CREATE TABLE citizen_access_review (
        id uuid PRIMARY KEY,
        subject_id uuid NOT NULL REFERENCES subject(id) DEFERRABLE INITIALLY DEFERRED,
        -- NULL: the review is about the subject; else about this guardian of the subject.
        guardian_id uuid REFERENCES guardian(id) DEFERRABLE INITIALLY DEFERRED,
        decision text NOT NULL CHECK (decision IN ('release', 'withhold')),
        reason_code text NOT NULL CHECK (reason_code IN ('no_harm', 'harm_risk', 'protected_whereabouts', 'other_secrecy')),
        reviewed_by uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        reviewed_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX citizen_access_review_person_idx ON citizen_access_review (subject_id, guardian_id, reviewed_at DESC, id);
      CREATE TRIGGER citizen_access_review_append_only BEFORE UPDATE OR DELETE ON citizen_access_review
        FOR EACH ROW EXECUTE FUNCTION consent_append_only();
      CREATE TRIGGER citizen_access_review_no_truncate BEFORE TRUNCATE ON citizen_access_review
        FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();

      CREATE TABLE consent_withdrawal_receipt (
        id uuid PRIMARY KEY,
        consent_id uuid NOT NULL UNIQUE REFERENCES consent(id) DEFERRABLE INITIALLY DEFERRED,
        receipt text NOT NULL,
        signature text NOT NULL,
        kid text NOT NULL,
        issued_at timestamptz NOT NULL
      );
      CREATE TRIGGER consent_withdrawal_receipt_append_only BEFORE UPDATE OR DELETE ON consent_withdrawal_receipt
        FOR EACH ROW EXECUTE FUNCTION consent_append_only();
      CREATE TRIGGER consent_withdrawal_receipt_no_truncate BEFORE TRUNCATE ON consent_withdrawal_receipt
        FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();

      -- A withdrawal by the person: no staff user, who (subject or which guardian), reason optional.
      ALTER TABLE consent ADD COLUMN withdrawn_by_kind text CHECK (withdrawn_by_kind IN ('subject', 'guardian'));
      ALTER TABLE consent ADD COLUMN withdrawn_by_guardian_id uuid REFERENCES guardian(id) DEFERRABLE INITIALLY DEFERRED;
      DO $drop$
      DECLARE
        name text;
      BEGIN
        SELECT conname INTO name FROM pg_constraint
          WHERE conrelid = 'consent'::regclass AND contype = 'c'
            AND pg_get_constraintdef(oid) LIKE '%withdrawal_reason IS NULL%' AND pg_get_constraintdef(oid) LIKE '%withdrawn_by IS NULL%';
        IF name IS NOT NULL THEN
          EXECUTE format('ALTER TABLE consent DROP CONSTRAINT %I', name);
        END IF;
      END $drop$;
      ALTER TABLE consent ADD CONSTRAINT consent_withdrawal_shape CHECK (
        CASE
          WHEN withdrawn_at IS NULL THEN
            withdrawn_by IS NULL AND withdrawal_reason IS NULL AND withdrawn_by_kind IS NULL AND withdrawn_by_guardian_id IS NULL
          WHEN withdrawn_by_kind IS NULL THEN
            withdrawn_by IS NOT NULL AND withdrawal_reason IS NOT NULL AND withdrawn_by_guardian_id IS NULL
          ELSE
            withdrawn_by IS NULL AND (withdrawn_by_kind = 'guardian') = (withdrawn_by_guardian_id IS NOT NULL)
        END
      );

      CREATE OR REPLACE FUNCTION consent_only_withdraw() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_user = 'samverka_retention' THEN RETURN OLD; END IF;
        IF TG_OP <> 'UPDATE' THEN
          RAISE EXCEPTION 'consent rows are never deleted' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.withdrawn_at IS NOT NULL THEN
          RAISE EXCEPTION 'consent % is already withdrawn', OLD.id USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (to_jsonb(NEW) - 'withdrawn_at' - 'withdrawn_by' - 'withdrawal_reason' - 'withdrawn_by_kind' - 'withdrawn_by_guardian_id')
           IS DISTINCT FROM (to_jsonb(OLD) - 'withdrawn_at' - 'withdrawn_by' - 'withdrawal_reason' - 'withdrawn_by_kind' - 'withdrawn_by_guardian_id') THEN
          RAISE EXCEPTION 'a consent is never edited; record a new one' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$;

      CREATE OR REPLACE FUNCTION retention_erase_case(p_case uuid, p_rule text, p_last_entry timestamptz) RETURNS jsonb
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
        DELETE FROM consent_request_answer WHERE request_id IN (SELECT id FROM consent_request WHERE case_id = p_case);
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('consent_request_answer', n);
        DELETE FROM consent_request WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('consent_request', n);
        DELETE FROM consent_withdrawal_receipt WHERE consent_id IN (SELECT id FROM consent WHERE case_id = p_case);
        GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('consent_withdrawal_receipt', n);
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
          DELETE FROM citizen_access_review WHERE subject_id = c.subject_id;
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

      GRANT SELECT, DELETE ON consent_request_answer, consent_request, consent_withdrawal_receipt, citizen_access_review
        TO samverka_retention;
      ALTER FUNCTION retention_erase_case(uuid, text, timestamptz) OWNER TO samverka_retention;
    `);
  }
}
