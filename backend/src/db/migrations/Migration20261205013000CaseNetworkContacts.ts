import { Migration } from '@mikro-orm/migrations';

/**
 * The network around the person: one contact (a staff member) per agency of a case — the owning
 * agency and each participant. Kept apart from case_participant because the owner is no
 * participant; a row goes when its agency leaves the case.
 */
export class Migration20261205013000CaseNetworkContacts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE case_contact (
        case_id uuid NOT NULL REFERENCES support_case(id) DEFERRABLE INITIALLY DEFERRED,
        agency_id uuid NOT NULL REFERENCES agency(id) DEFERRABLE INITIALLY DEFERRED,
        contact_name text CHECK (length(contact_name) BETWEEN 1 AND 200),
        contact_role text CHECK (length(contact_role) BETWEEN 1 AND 200),
        contact_phone text CHECK (length(contact_phone) BETWEEN 1 AND 40),
        contact_email text CHECK (length(contact_email) BETWEEN 3 AND 254 AND contact_email LIKE '%_@_%'),
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by_user_id uuid NOT NULL REFERENCES app_user(id) DEFERRABLE INITIALLY DEFERRED,
        PRIMARY KEY (case_id, agency_id)
      );
    `);
  }
}
