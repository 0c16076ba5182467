import { Migration } from '@mikro-orm/migrations';

/**
 * Consents, their signed receipts, and the disclosure ledger.
 *
 * A consent is never edited: a change is a new consent. The only UPDATE allowed sets the three
 * withdrawal columns, once. Receipts and the ledger are append-only. Triggers enforce this for
 * everyone (owner included); the API role additionally has no UPDATE/DELETE on the append-only
 * tables. The ledger keeps ids without foreign keys: like the audit trail it is a record of what
 * happened and must outlive (and not slow down) the rows it refers to.
 */
export class Migration20261127000003Consent extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE consent (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        subject_id uuid NOT NULL REFERENCES subject(id) DEFERRABLE INITIALLY DEFERRED,
        given_by_kind text NOT NULL CHECK (given_by_kind IN ('subject','guardian')),
        guardian_id uuid REFERENCES guardian(id) DEFERRABLE INITIALLY DEFERRED,
        method text NOT NULL CHECK (method IN ('written','digital','oral')),
        evidence_ref text CHECK (length(evidence_ref) BETWEEN 1 AND 500),
        witness text CHECK (length(witness) BETWEEN 1 AND 200),
        agency_ids uuid[] NOT NULL CHECK (cardinality(agency_ids) >= 2),
        categories text[] NOT NULL CHECK (cardinality(categories) >= 1),
        purpose text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 2000),
        valid_from date NOT NULL,
        valid_to date NOT NULL,
        recorded_by uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        recorded_at timestamptz NOT NULL,
        withdrawn_at timestamptz,
        withdrawn_by uuid REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        withdrawal_reason text CHECK (length(withdrawal_reason) BETWEEN 1 AND 2000),
        CHECK ((given_by_kind = 'guardian') = (guardian_id IS NOT NULL)),
        CHECK (method <> 'oral' OR witness IS NOT NULL),
        CHECK (method = 'oral' OR evidence_ref IS NOT NULL),
        CHECK (valid_to >= valid_from),
        CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL) AND (withdrawn_at IS NULL) = (withdrawal_reason IS NULL))
      );
      CREATE INDEX consent_case_idx ON consent (case_id, recorded_at);
      CREATE INDEX consent_subject_idx ON consent (subject_id);
      CREATE INDEX consent_expiring_idx ON consent (valid_to) WHERE withdrawn_at IS NULL;

      CREATE FUNCTION consent_only_withdraw() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
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
      CREATE TRIGGER consent_only_withdraw BEFORE UPDATE OR DELETE ON consent
        FOR EACH ROW EXECUTE FUNCTION consent_only_withdraw();

      -- The signed receipt, kept exactly as signed (canonical JSON text).
      CREATE TABLE consent_receipt (
        id uuid PRIMARY KEY,
        consent_id uuid NOT NULL UNIQUE REFERENCES consent(id) DEFERRABLE INITIALLY DEFERRED,
        receipt text NOT NULL,
        signature text NOT NULL,
        kid text NOT NULL,
        issued_at timestamptz NOT NULL
      );

      -- The disclosure ledger: each item that crossed from one agency to another, to whom, on
      -- which consents.
      CREATE TABLE disclosure (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL,
        subject_id uuid NOT NULL,
        item_type text NOT NULL CHECK (item_type IN ('case','entry','plan_item','meeting','export')),
        item_id uuid NOT NULL,
        category text NOT NULL,
        from_agency_id uuid NOT NULL,
        to_agency_id uuid NOT NULL,
        to_user_id uuid NOT NULL,
        consent_ids uuid[] NOT NULL CHECK (cardinality(consent_ids) >= 1),
        disclosed_at timestamptz NOT NULL,
        request_id text NOT NULL,
        CHECK (from_agency_id <> to_agency_id)
      );
      CREATE INDEX disclosure_case_idx ON disclosure (case_id, disclosed_at DESC);
      CREATE INDEX disclosure_subject_idx ON disclosure (subject_id, disclosed_at DESC);

      CREATE FUNCTION consent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER consent_receipt_append_only BEFORE UPDATE OR DELETE ON consent_receipt
        FOR EACH ROW EXECUTE FUNCTION consent_append_only();
      CREATE TRIGGER disclosure_append_only BEFORE UPDATE OR DELETE ON disclosure
        FOR EACH ROW EXECUTE FUNCTION consent_append_only();
      CREATE TRIGGER consent_no_truncate BEFORE TRUNCATE ON consent
        FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();
      CREATE TRIGGER consent_receipt_no_truncate BEFORE TRUNCATE ON consent_receipt
        FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();
      CREATE TRIGGER disclosure_no_truncate BEFORE TRUNCATE ON disclosure
        FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();

      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'samverka_app') THEN
          REVOKE UPDATE, DELETE, TRUNCATE ON consent_receipt, disclosure FROM samverka_app;
          REVOKE DELETE, TRUNCATE ON consent FROM samverka_app;
        END IF;
      END
      $$;
    `);
  }
}
