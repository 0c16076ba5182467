import { Migration } from '@mikro-orm/migrations';

/**
 * Journal entries are documentation: a mistake is corrected by a new entry (`corrects_id`), never
 * by changing or removing the old one. Like the consent tables, the table refuses UPDATE, DELETE
 * and TRUNCATE for everyone; the grants (src/db/grants.ts) then keep the application role to
 * SELECT and INSERT on it.
 */
export class Migration20261204000031JournalAppendOnly extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE FUNCTION journal_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'journal entries are append-only: % refused; record a correcting entry', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER journal_entry_append_only BEFORE UPDATE OR DELETE ON journal_entry
        FOR EACH ROW EXECUTE FUNCTION journal_entry_append_only();
      CREATE TRIGGER journal_entry_no_truncate BEFORE TRUNCATE ON journal_entry
        FOR EACH STATEMENT EXECUTE FUNCTION journal_entry_append_only();
    `);
  }
}
