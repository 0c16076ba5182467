import { Migration } from '@mikro-orm/migrations';

/**
 * Documents of a case (PDF, JPEG, PNG), encrypted at rest: AES-256-GCM under the key in KEYS_DIR,
 * a fresh IV per document, the document's id as additional data, so a ciphertext moved to another
 * row fails to decrypt. The SHA-256 of the plaintext is kept to show in lists and to check a
 * download against. Evidence is never edited: like the journal, the table refuses UPDATE, DELETE
 * and TRUNCATE (the grants then keep the application role to SELECT and INSERT). A document that
 * crosses agencies is a row of the disclosure ledger of item type `document`.
 */
export class Migration20261205001610Documents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE document (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        consent_id uuid REFERENCES consent(id) DEFERRABLE INITIALLY DEFERRED,
        meeting_id uuid REFERENCES meeting(id) DEFERRABLE INITIALLY DEFERRED,
        author_user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        author_agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        category text NOT NULL CHECK (category ~ '^[a-z_]{1,40}$'),
        title text CHECK (length(title) BETWEEN 1 AND 200),
        media_type text NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
        size_bytes integer NOT NULL CHECK (size_bytes > 0),
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        iv bytea NOT NULL CHECK (octet_length(iv) = 12),
        auth_tag bytea NOT NULL CHECK (octet_length(auth_tag) = 16),
        ciphertext bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (consent_id IS NULL OR meeting_id IS NULL)
      );
      -- Ciphertext does not compress: store it out of line without trying.
      ALTER TABLE document ALTER COLUMN ciphertext SET STORAGE EXTERNAL;
      CREATE INDEX document_case_idx ON document (case_id, created_at DESC, id DESC);
      CREATE INDEX document_consent_idx ON document (consent_id) WHERE consent_id IS NOT NULL;
      CREATE INDEX document_meeting_idx ON document (meeting_id) WHERE meeting_id IS NOT NULL;
      CREATE TRIGGER document_append_only BEFORE UPDATE OR DELETE ON document
        FOR EACH ROW EXECUTE FUNCTION consent_append_only();
      CREATE TRIGGER document_no_truncate BEFORE TRUNCATE ON document
        FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();

      ALTER TABLE disclosure DROP CONSTRAINT disclosure_item_type_check;
      ALTER TABLE disclosure ADD CONSTRAINT disclosure_item_type_check
        CHECK (item_type IN ('case', 'entry', 'plan_item', 'meeting', 'export', 'document'));
    `);
  }
}
